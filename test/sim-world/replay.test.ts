import { describe, expect, it } from 'vitest';
import { initPhysics } from '../../src/index.js';
import { FIRST_FAULTS, PARTITION_FAULTS, REPLICA_MODE_FAULTS, generateWorld, type WorldSpec } from './world-spec.js';
import { runWorld } from './run-world.js';
import { CI_MAX_PLAYERS, CI_WORLD_MS } from './campaign.js';

// Replays one world: SIM_SPEC='<json>' (a shrunk case) or SIM_SEED=<n>; and the regression
// cases, seeds that once found a false conviction (kept so they never come back).
// (They were found before worlds had throws: they replay without them, exactly as found.)
const REGRESSIONS: readonly { seed: number; found: string }[] = [
  { seed: 5, found: 'invented-input: a player left and the relay forgot its inputs before the owner committed them' },
  { seed: 7, found: "dropped-input: a player's first input, sent while its tile was the relay's, reached no owner" },
  { seed: 16, found: 'invented-input (as seed 5)' },
  { seed: 759, found: 'no entity lost: an avatar spawned into a tile just before a late input rewound it was not in the replayed history' },
  { seed: 725, found: "invented-input: a player crashed right after an input; the owner got it, the relay's copy died with the connection" },
];

/** Found with partitions, slow players and duplicates in the mix (`PARTITION_FAULTS`): CI's worlds then, or the shrunk case as printed. */
const REGRESSIONS_ALL_FAULTS: readonly { seed: number; found: string; spec?: WorldSpec }[] = [
  { seed: 33, found: "invented-input: a player's link to the relay was cut while its direct path to the owner worked; the relay judged the owner before the player's copy could arrive" },
  {
    seed: 5129,
    found: 'repeated-input: the relay applied a late copy (after a partition) to a tile it had resumed, then judged the owner who had applied it first',
    spec: JSON.parse(
      '{"seed":5129,"durationMs":6000,"players":2,"events":[{"at":63,"kind":"join","player":0},{"at":500,"kind":"join","player":1},{"at":663,"kind":"throw","player":0,"vx":5.061220824718475,"vy":3.744962968863547,"vz":-6.499987885355949},{"at":1100,"kind":"walk","player":1,"moveX":1,"moveZ":0},{"at":1330,"kind":"walk","player":0,"moveX":0,"moveZ":-1},{"at":1462,"kind":"walk","player":1,"moveX":1,"moveZ":0},{"at":2446,"kind":"walk","player":1,"moveX":1,"moveZ":-1},{"at":2452,"kind":"walk","player":0,"moveX":0,"moveZ":0},{"at":2630,"kind":"partition","player":1,"ms":2637},{"at":2985,"kind":"walk","player":0,"moveX":0,"moveZ":1},{"at":3029,"kind":"throw","player":1,"vx":7.604111537337303,"vy":2.8168294616043568,"vz":3.0799583792686462}]}',
    ) as WorldSpec,
  },
  {
    seed: 54,
    found: 'no entity lost: the relay handed a tile to a player whose link to it was cut (a partition), and the tile sat unheld until the silence check took it back',
    spec: JSON.parse(
      '{"seed":54,"durationMs":4500,"players":3,"events":[{"at":77,"kind":"join","player":1},{"at":500,"kind":"network","loss":0,"delayMs":44,"jitterMs":1,"duplicate":0.1991739295423031},{"at":591,"kind":"join","player":0},{"at":677,"kind":"walk","player":1,"moveX":1,"moveZ":0},{"at":898,"kind":"join","player":2},{"at":912,"kind":"partition","player":1,"ms":1309},{"at":1075,"kind":"walk","player":1,"moveX":0,"moveZ":0},{"at":1191,"kind":"walk","player":0,"moveX":-1,"moveZ":0},{"at":1498,"kind":"walk","player":2,"moveX":-1,"moveZ":0},{"at":1501,"kind":"partition","player":0,"ms":2923},{"at":1885,"kind":"walk","player":0,"moveX":-1,"moveZ":0},{"at":2050,"kind":"walk","player":1,"moveX":-1,"moveZ":-1},{"at":2080,"kind":"walk","player":2,"moveX":0,"moveZ":1},{"at":2366,"kind":"walk","player":0,"moveX":1,"moveZ":0},{"at":2927,"kind":"walk","player":1,"moveX":1,"moveZ":-1},{"at":3232,"kind":"walk","player":2,"moveX":0,"moveZ":1},{"at":3264,"kind":"walk","player":0,"moveX":0,"moveZ":-1},{"at":3599,"kind":"walk","player":2,"moveX":0,"moveZ":-1}]}',
    ) as WorldSpec,
  },
  {
    seed: 484,
    found: "replicas converge: with full states every 2 s instead of every second, a player was shown an avatar 0.94 m from its owner's state (one of 10 such worlds in 1,000): every delta of a tile holding a thrown ball was refused on arrival (a pose id's zigzag difference overflowed 2^53), so only full states repaired it; protocol 5, full states every 10 s",
    spec: JSON.parse('{"seed":484,"durationMs":4500,"players":2,"events":[{"at":237,"kind":"join","player":1},{"at":837,"kind":"throw","player":1,"vx":5.072138354182243,"vy":2.8841667799279094,"vz":-0.5674997121095657},{"at":1413,"kind":"join","player":0,"replicaMode":"extrapolated"},{"at":1513,"kind":"walk","player":1,"moveX":0,"moveZ":0},{"at":2013,"kind":"walk","player":0,"moveX":0,"moveZ":1},{"at":2674,"kind":"walk","player":1,"moveX":1,"moveZ":0},{"at":3162,"kind":"walk","player":0,"moveX":1,"moveZ":0},{"at":3480,"kind":"walk","player":1,"moveX":0,"moveZ":1},{"at":3921,"kind":"walk","player":0,"moveX":-1,"moveZ":0},{"at":4032,"kind":"throw","player":1,"vx":-1.4544106125831604,"vy":4.6728481259197,"vz":-6.2610821053385735}]}') as WorldSpec,
  },
  {
    seed: 878,
    found: "replicas converge: as seed 484, a box 0.27 m off after a throw (2 s full-state cadence)",
    spec: JSON.parse('{"seed":878,"durationMs":4500,"players":2,"events":[{"at":236,"kind":"join","player":0},{"at":836,"kind":"throw","player":0,"vx":-2.9640266858041286,"vy":2.212407547980547,"vz":5.882220197468996},{"at":1368,"kind":"join","player":1,"replicaMode":"extrapolated"},{"at":1565,"kind":"walk","player":0,"moveX":0,"moveZ":0},{"at":1968,"kind":"walk","player":1,"moveX":-1,"moveZ":0},{"at":1987,"kind":"peer-partition","player":1,"other":0,"ms":2134},{"at":2464,"kind":"throw","player":0,"vx":5.080885134637356,"vy":2.0018304409459233,"vz":5.964002314954996},{"at":2728,"kind":"walk","player":1,"moveX":0,"moveZ":0},{"at":3412,"kind":"walk","player":0,"moveX":1,"moveZ":0},{"at":3608,"kind":"walk","player":1,"moveX":0,"moveZ":1}]}') as WorldSpec,
  },
  {
    seed: 588,
    found: "invented-input: after a partition healed, a pose the player sent overtook the held input on the harness's relay link (a socket keeps its order), and the relay took the pose's stamp as proof the input was never sent",
    spec: JSON.parse(
      '{"seed":588,"durationMs":4500,"players":3,"events":[{"at":534,"kind":"join","player":0,"replicaMode":"extrapolated"},{"at":705,"kind":"join","player":1,"replicaMode":"extrapolated"},{"at":1049,"kind":"join","player":2},{"at":1134,"kind":"walk","player":0,"moveX":0,"moveZ":0},{"at":1305,"kind":"walk","player":1,"moveX":0,"moveZ":-1},{"at":1468,"kind":"edit","player":0,"x":17,"y":2,"z":4},{"at":1603,"kind":"network","loss":0.016321796225383878,"delayMs":50,"jitterMs":20},{"at":1649,"kind":"walk","player":2,"moveX":1,"moveZ":0},{"at":1852,"kind":"partition","player":2,"ms":2690},{"at":2000,"kind":"network","loss":0,"delayMs":10,"jitterMs":5,"duplicate":0},{"at":2115,"kind":"throw","player":1,"vx":0.9971233196556568,"vy":5.8754158383235335,"vz":1.035917405039072},{"at":2182,"kind":"walk","player":0,"moveX":-1,"moveZ":-1},{"at":2207,"kind":"throw","player":2,"vx":-1.5665798485279083,"vy":2.840121769346297,"vz":-0.5705615133047104},{"at":2769,"kind":"walk","player":1,"moveX":0,"moveZ":0},{"at":3169,"kind":"throw","player":0,"vx":-5.383466627448797,"vy":4.834280712530017,"vz":6.5423593781888485},{"at":3377,"kind":"walk","player":2,"moveX":0,"moveZ":0},{"at":3485,"kind":"walk","player":0,"moveX":1,"moveZ":-1},{"at":3877,"kind":"walk","player":1,"moveX":0,"moveZ":1},{"at":4043,"kind":"walk","player":0,"moveX":1,"moveZ":-1}]}',
    ) as WorldSpec,
  },
  {
    seed: 682,
    found:
      "replicas converge: with a handoff's lease sent without the subscriber's directory, a player was shown its own avatar 1.45 m from its owner's state. Its page froze while the avatar walked on another player's tile; the owner's full state of a tick before the player's new input and the deltas after it came due together at the replica's jump to the present, and the queued rebuild from that older state threw away the deltas' corrections, among them the input's props change (sent on three deltas only): the replica walked on until the next full state. (The directories only moved the schedule: with them the replica drifted the same way, and was checked just after a correction.)",
    spec: JSON.parse(
      '{"seed":682,"durationMs":4500,"players":3,"events":[{"at":500,"kind":"network","loss":0,"delayMs":47,"jitterMs":17},{"at":863,"kind":"join","player":2},{"at":965,"kind":"join","player":0},{"at":975,"kind":"join","player":1},{"at":1463,"kind":"walk","player":2,"moveX":0,"moveZ":1},{"at":1558,"kind":"edit","player":2,"x":10,"y":2,"z":13},{"at":1565,"kind":"throw","player":0,"vx":4.863654483109713,"vy":3.1661115465685725,"vz":0.19389700144529343},{"at":1575,"kind":"walk","player":1,"moveX":-1,"moveZ":-1},{"at":1857,"kind":"freeze","player":1,"ms":1343},{"at":1895,"kind":"walk","player":2,"moveX":0,"moveZ":0},{"at":2197,"kind":"walk","player":0,"moveX":1,"moveZ":0},{"at":2594,"kind":"walk","player":1,"moveX":-1,"moveZ":0},{"at":2932,"kind":"walk","player":2,"moveX":0,"moveZ":0}]}',
    ) as WorldSpec,
  },
];

/** Found with every fault and replica modes in the mix (`REPLICA_MODE_FAULTS`), in CI's worlds. */
const REGRESSIONS_REPLICA_MODES: readonly { seed: number; found: string }[] = [
  {
    seed: 899,
    found:
      "replicas converge: a player's pings sat out a 2.8 s partition; the one good-looking sample (448 ms round trip) put its clock 211 ms ahead, and slewing back at 5 % kept its view 0.6 m off for 4 s",
  },
  {
    seed: 947,
    found: 'no entity lost: the relay handed a tile taken from a cut-off owner to a player whose simulation had stopped (it still answered on its connection), so a new avatar sat unheld for 2.5 s',
  },
  {
    seed: 96,
    found:
      "invented-arrival: a slow owner's avatar crossed between two of its tiles; its record reached the relay after one of them had been handed on, and the audit looked only at the tiles the owner held at check time",
  },
];

/** Found with a loaded relay in the mix (`RELAY_LOAD_FAULTS`: stalls, a simulation running behind): the shrunk case as printed. */
const REGRESSIONS_RELAY_LOAD: readonly { seed: number; found: string; spec: WorldSpec }[] = [
  {
    seed: 976,
    found:
      "replicas converge: a player cut off for 2.3 s got its backlog at once; a rewind of one replica tile restored a ball that had since left it for the next tile, and the player showed the ghost 9 m from the ball for good (an entity in two replicas)",
    spec: JSON.parse(
      '{"seed":976,"durationMs":4500,"players":4,"events":[{"at":6,"kind":"join","player":1},{"at":198,"kind":"join","player":2},{"at":606,"kind":"throw","player":1,"vx":-3.00920782238245,"vy":3.95232910849154,"vz":4.296833418309689},{"at":798,"kind":"walk","player":2,"moveX":0,"moveZ":0},{"at":842,"kind":"join","player":0},{"at":884,"kind":"join","player":3},{"at":1112,"kind":"walk","player":1,"moveX":0,"moveZ":1},{"at":1310,"kind":"crash","player":1},{"at":1397,"kind":"relay-lag","ms":1642,"ticksPerSecond":18},{"at":1442,"kind":"throw","player":0,"vx":5.184422001242638,"vy":3.399524767883122,"vz":-3.8316530026495457},{"at":1484,"kind":"walk","player":3,"moveX":-1,"moveZ":0},{"at":1587,"kind":"walk","player":1,"moveX":0,"moveZ":0},{"at":1664,"kind":"walk","player":2,"moveX":-1,"moveZ":0},{"at":1673,"kind":"relay-stall","ms":1559},{"at":1684,"kind":"edit","player":2,"x":15,"y":2,"z":4},{"at":1833,"kind":"leave","player":0},{"at":1959,"kind":"partition","player":3,"ms":2250},{"at":1999,"kind":"partition","player":2,"ms":2305},{"at":2152,"kind":"throw","player":3,"vx":6.483800649642944,"vy":4.824271730147302,"vz":1.8647536933422089},{"at":2188,"kind":"walk","player":2,"moveX":0,"moveZ":1},{"at":2284,"kind":"walk","player":0,"moveX":0,"moveZ":0},{"at":2465,"kind":"walk","player":1,"moveX":1,"moveZ":1},{"at":2516,"kind":"throw","player":2,"vx":-3.713796265423298,"vy":4.348166491836309,"vz":-4.724401161074638},{"at":2698,"kind":"walk","player":3,"moveX":-1,"moveZ":0},{"at":2799,"kind":"walk","player":1,"moveX":1,"moveZ":-1},{"at":3021,"kind":"walk","player":0,"moveX":-1,"moveZ":0},{"at":3089,"kind":"walk","player":3,"moveX":1,"moveZ":1},{"at":3119,"kind":"walk","player":2,"moveX":0,"moveZ":1},{"at":3853,"kind":"throw","player":0,"vx":5.165842358022928,"vy":5.3326476207003,"vz":7.577963527292013},{"at":3935,"kind":"walk","player":1,"moveX":0,"moveZ":-1}]}',
    ) as WorldSpec,
  },
  {
    seed: 6,
    found:
      "repeated-input (demo scene, six players, 8 s): the relay's simulation ran 56 ticks behind; an avatar migrating into its tile at tick 188 was placed at once in its simulation at tick 132, the tile was handed over from there, and the new owner, holding the avatar since 136, applied an input the avatar's previous holder had applied at 177",
    spec: JSON.parse(
      '{"seed":6,"durationMs":8000,"players":5,"events":[{"at":24,"kind":"join","player":3},{"at":500,"kind":"network","loss":0.0025073671713471413,"delayMs":11,"jitterMs":27},{"at":624,"kind":"walk","player":3,"moveX":1,"moveZ":0},{"at":828,"kind":"edit","player":3,"x":27,"y":2,"z":12},{"at":1091,"kind":"join","player":0,"replicaMode":"extrapolated"},{"at":1122,"kind":"relay-stall","ms":412},{"at":1209,"kind":"join","player":4,"replicaMode":"extrapolated"},{"at":1240,"kind":"join","player":1},{"at":1444,"kind":"relay-lag","ms":2653,"ticksPerSecond":39},{"at":1486,"kind":"join","player":2,"replicaMode":"extrapolated"},{"at":1547,"kind":"walk","player":3,"moveX":1,"moveZ":0},{"at":1691,"kind":"walk","player":0,"moveX":0,"moveZ":0},{"at":1809,"kind":"walk","player":4,"moveX":1,"moveZ":0},{"at":1840,"kind":"walk","player":1,"moveX":0,"moveZ":1},{"at":1932,"kind":"edit","player":1,"x":29,"y":2,"z":11},{"at":1997,"kind":"edit","player":3,"x":12,"y":2,"z":7},{"at":2008,"kind":"network","loss":0,"delayMs":58,"jitterMs":16},{"at":2086,"kind":"throw","player":2,"vx":6.2503907680511475,"vy":2.2041999166831374,"vz":-4.849397029727697},{"at":2140,"kind":"edit","player":0,"x":5,"y":2,"z":13},{"at":2163,"kind":"walk","player":3,"moveX":-1,"moveZ":0},{"at":2189,"kind":"edit","player":4,"x":11,"y":2,"z":13},{"at":2343,"kind":"edit","player":2,"x":7,"y":2,"z":9},{"at":2532,"kind":"edit","player":1,"x":12,"y":2,"z":6},{"at":2580,"kind":"walk","player":0,"moveX":0,"moveZ":1},{"at":2852,"kind":"edit","player":0,"x":23,"y":2,"z":8},{"at":2917,"kind":"walk","player":2,"moveX":1,"moveZ":1},{"at":2926,"kind":"edit","player":3,"x":12,"y":2,"z":13},{"at":2941,"kind":"throw","player":4,"vx":6.508548621088266,"vy":3.5189633714035153,"vz":3.4560993053019047},{"at":2988,"kind":"walk","player":1,"moveX":0,"moveZ":0},{"at":3242,"kind":"walk","player":3,"moveX":-1,"moveZ":0},{"at":3259,"kind":"edit","player":1,"x":22,"y":2,"z":12},{"at":3305,"kind":"relay-stall","ms":956},{"at":3362,"kind":"walk","player":2,"moveX":-1,"moveZ":-1},{"at":3390,"kind":"edit","player":4,"x":22,"y":2,"z":13},{"at":3486,"kind":"edit","player":2,"x":12,"y":2,"z":4},{"at":3572,"kind":"walk","player":0,"moveX":1,"moveZ":0},{"at":3836,"kind":"walk","player":1,"moveX":0,"moveZ":1},{"at":3840,"kind":"network","loss":0,"delayMs":49,"jitterMs":16},{"at":3975,"kind":"walk","player":4,"moveX":-1,"moveZ":1},{"at":4084,"kind":"peer-partition","player":1,"other":0,"ms":1553},{"at":4107,"kind":"edit","player":0,"x":11,"y":2,"z":11},{"at":4108,"kind":"edit","player":3,"x":2,"y":2,"z":12},{"at":4171,"kind":"walk","player":3,"moveX":-1,"moveZ":-1},{"at":4411,"kind":"walk","player":2,"moveX":0,"moveZ":0},{"at":4486,"kind":"leave","player":2},{"at":4504,"kind":"walk","player":3,"moveX":0,"moveZ":1},{"at":4572,"kind":"walk","player":0,"moveX":1,"moveZ":-1},{"at":4574,"kind":"edit","player":1,"x":7,"y":2,"z":13},{"at":4629,"kind":"freeze","player":0,"ms":637},{"at":4671,"kind":"edit","player":4,"x":26,"y":2,"z":11},{"at":4797,"kind":"walk","player":1,"moveX":1,"moveZ":0},{"at":4957,"kind":"walk","player":2,"moveX":0,"moveZ":1},{"at":4959,"kind":"network","loss":0.061139793274924165,"delayMs":18,"jitterMs":5},{"at":4959,"kind":"peer-partition","player":4,"other":0,"ms":966},{"at":4993,"kind":"walk","player":4,"moveX":-1,"moveZ":-1},{"at":5024,"kind":"edit","player":3,"x":21,"y":2,"z":8},{"at":5033,"kind":"edit","player":0,"x":17,"y":2,"z":2},{"at":5063,"kind":"edit","player":2,"x":4,"y":2,"z":2},{"at":5205,"kind":"freeze","player":3,"ms":2636},{"at":5260,"kind":"crash","player":1},{"at":5308,"kind":"walk","player":3,"moveX":-1,"moveZ":1},{"at":5350,"kind":"walk","player":1,"moveX":0,"moveZ":-1},{"at":5440,"kind":"edit","player":0,"x":18,"y":2,"z":3},{"at":5500,"kind":"network","loss":0,"delayMs":10,"jitterMs":5,"duplicate":0},{"at":5518,"kind":"walk","player":2,"moveX":0,"moveZ":-1},{"at":5587,"kind":"walk","player":0,"moveX":0,"moveZ":-1},{"at":5912,"kind":"walk","player":4,"moveX":-1,"moveZ":0},{"at":6024,"kind":"walk","player":0,"moveX":-1,"moveZ":0},{"at":6082,"kind":"walk","player":2,"moveX":0,"moveZ":1},{"at":6111,"kind":"walk","player":3,"moveX":1,"moveZ":-1},{"at":6124,"kind":"walk","player":1,"moveX":1,"moveZ":0},{"at":6292,"kind":"throw","player":4,"vx":3.567086134105921,"vy":2.4496957305818796,"vz":5.823957733809948},{"at":6367,"kind":"walk","player":0,"moveX":0,"moveZ":-1},{"at":6527,"kind":"walk","player":3,"moveX":-1,"moveZ":1},{"at":6777,"kind":"throw","player":1,"vx":2.8954622372984886,"vy":5.793207071721554,"vz":-2.2223952151834965},{"at":6873,"kind":"throw","player":3,"vx":5.460047744214535,"vy":2.6941148536279798,"vz":4.404742203652859},{"at":6912,"kind":"walk","player":2,"moveX":0,"moveZ":-1},{"at":7000,"kind":"walk","player":0,"moveX":0,"moveZ":1},{"at":7233,"kind":"walk","player":3,"moveX":0,"moveZ":-1},{"at":7260,"kind":"walk","player":4,"moveX":0,"moveZ":0},{"at":7380,"kind":"walk","player":0,"moveX":1,"moveZ":1},{"at":7541,"kind":"throw","player":3,"vx":1.6665653511881828,"vy":5.049081651493907,"vz":-5.023918684571981},{"at":7571,"kind":"walk","player":1,"moveX":-1,"moveZ":0}],"scene":"demo"}',
    ) as WorldSpec,
  },
  {
    seed: 103,
    found:
      "no entity lost (demo scene, five players, 8 s): the train left the relay's tile for one whose handoff between two players had begun; the relay sent it straight to the old owner, which had let go of the tile and handed it back, and the relay refused it as from a tile that player did not hold",
    spec: JSON.parse(
      '{"seed":103,"durationMs":8000,"players":5,"events":[{"at":500,"kind":"network","loss":0.0057668223744258285,"delayMs":52,"jitterMs":28},{"at":954,"kind":"join","player":4,"replicaMode":"extrapolated"},{"at":1050,"kind":"join","player":2,"replicaMode":"extrapolated"},{"at":1076,"kind":"join","player":1},{"at":1212,"kind":"join","player":0},{"at":1466,"kind":"join","player":3},{"at":1554,"kind":"walk","player":4,"moveX":0,"moveZ":1},{"at":1608,"kind":"network","loss":0.03456396379042417,"delayMs":47,"jitterMs":21,"duplicate":0.12538014091551306},{"at":1650,"kind":"walk","player":2,"moveX":0,"moveZ":0},{"at":1676,"kind":"walk","player":1,"moveX":1,"moveZ":0},{"at":1812,"kind":"walk","player":0,"moveX":0,"moveZ":1},{"at":1860,"kind":"walk","player":4,"moveX":0,"moveZ":0},{"at":2036,"kind":"edit","player":2,"x":28,"y":2,"z":8},{"at":2066,"kind":"walk","player":3,"moveX":0,"moveZ":0},{"at":2079,"kind":"edit","player":1,"x":9,"y":2,"z":11},{"at":2122,"kind":"walk","player":1,"moveX":1,"moveZ":-1},{"at":2192,"kind":"walk","player":0,"moveX":0,"moveZ":0},{"at":2219,"kind":"partition","player":1,"ms":1448},{"at":2498,"kind":"throw","player":2,"vx":-3.3048004619777203,"vy":4.91576849296689,"vz":-5.206012103706598},{"at":2517,"kind":"throw","player":4,"vx":2.3962869495153427,"vy":2.3709216909483075,"vz":3.0909665785729885},{"at":2727,"kind":"throw","player":0,"vx":-5.493293568491936,"vy":5.905795784667134,"vz":-6.39461113512516},{"at":2771,"kind":"walk","player":1,"moveX":0,"moveZ":-1},{"at":2824,"kind":"partition","player":4,"ms":1693},{"at":2878,"kind":"edit","player":4,"x":7,"y":2,"z":13},{"at":2961,"kind":"throw","player":4,"vx":6.221530549228191,"vy":5.580662779510021,"vz":1.0757307521998882},{"at":3021,"kind":"throw","player":2,"vx":-4.759475618600845,"vy":5.2498131869360805,"vz":1.73039361089468},{"at":3055,"kind":"walk","player":3,"moveX":0,"moveZ":0},{"at":3454,"kind":"edit","player":3,"x":8,"y":2,"z":7},{"at":3598,"kind":"freeze","player":0,"ms":2138},{"at":3620,"kind":"walk","player":1,"moveX":1,"moveZ":0},{"at":3846,"kind":"throw","player":0,"vx":4.850540366023779,"vy":4.684080041944981,"vz":-4.433289151638746},{"at":4026,"kind":"walk","player":2,"moveX":-1,"moveZ":1},{"at":4107,"kind":"edit","player":4,"x":25,"y":2,"z":10},{"at":4111,"kind":"throw","player":4,"vx":-7.350711140781641,"vy":5.161396666429937,"vz":0.9447842463850975},{"at":4138,"kind":"edit","player":2,"x":16,"y":2,"z":4},{"at":4176,"kind":"throw","player":3,"vx":-1.8499807715415955,"vy":4.537880946882069,"vz":-6.015470735728741},{"at":4256,"kind":"peer-partition","player":0,"other":4,"ms":841},{"at":4350,"kind":"relay-lag","ms":1150,"ticksPerSecond":37},{"at":4394,"kind":"walk","player":1,"moveX":-1,"moveZ":0},{"at":4396,"kind":"network","loss":0.005026482092216612,"delayMs":28,"jitterMs":8},{"at":4414,"kind":"edit","player":0,"x":27,"y":2,"z":7},{"at":4552,"kind":"walk","player":2,"moveX":0,"moveZ":1},{"at":4640,"kind":"walk","player":0,"moveX":0,"moveZ":1},{"at":4654,"kind":"edit","player":1,"x":23,"y":2,"z":11},{"at":4657,"kind":"walk","player":3,"moveX":0,"moveZ":-1},{"at":4782,"kind":"throw","player":4,"vx":1.0617021545767784,"vy":5.259747063741088,"vz":-6.705274578183889},{"at":4862,"kind":"edit","player":3,"x":6,"y":2,"z":13},{"at":4977,"kind":"edit","player":4,"x":17,"y":2,"z":11},{"at":5162,"kind":"walk","player":1,"moveX":-1,"moveZ":0},{"at":5188,"kind":"edit","player":1,"x":26,"y":2,"z":10},{"at":5246,"kind":"edit","player":2,"x":15,"y":2,"z":2},{"at":5472,"kind":"peer-partition","player":4,"other":2,"ms":1844},{"at":5500,"kind":"network","loss":0,"delayMs":10,"jitterMs":5,"duplicate":0},{"at":5531,"kind":"throw","player":3,"vx":-2.508027348667383,"vy":5.747879013419151,"vz":0.43504415825009346},{"at":5636,"kind":"throw","player":2,"vx":-3.1848017796874046,"vy":5.194413338787854,"vz":5.580750998109579},{"at":5705,"kind":"walk","player":1,"moveX":0,"moveZ":-1},{"at":5805,"kind":"walk","player":4,"moveX":0,"moveZ":0},{"at":5812,"kind":"walk","player":0,"moveX":1,"moveZ":0},{"at":6050,"kind":"throw","player":3,"vx":6.858823832124472,"vy":5.304890143685043,"vz":-4.675512194633484},{"at":6156,"kind":"throw","player":1,"vx":5.009900111705065,"vy":4.741221662610769,"vz":-0.48932215571403503},{"at":6261,"kind":"walk","player":4,"moveX":1,"moveZ":0},{"at":6605,"kind":"walk","player":2,"moveX":0,"moveZ":1},{"at":6666,"kind":"walk","player":0,"moveX":0,"moveZ":0},{"at":7037,"kind":"walk","player":1,"moveX":1,"moveZ":0},{"at":7097,"kind":"walk","player":2,"moveX":1,"moveZ":0},{"at":7237,"kind":"walk","player":4,"moveX":-1,"moveZ":0},{"at":7240,"kind":"walk","player":3,"moveX":1,"moveZ":-1},{"at":7405,"kind":"walk","player":0,"moveX":0,"moveZ":0}],"scene":"demo"}',
    ) as WorldSpec,
  },
  {
    seed: 125,
    found:
      "invented-input (demo scene, 8 s): the relay stalled 3 s; a player's connection closed meanwhile with its copy of an input unread, and the relay, taking the moment it noticed the close for when the player left, convicted the owner that had applied the input",
    spec: JSON.parse(
      '{"seed":125,"durationMs":8000,"players":2,"events":[{"at":566,"kind":"join","player":1},{"at":731,"kind":"join","player":0,"replicaMode":"extrapolated"},{"at":1166,"kind":"walk","player":1,"moveX":0,"moveZ":-1},{"at":1331,"kind":"throw","player":0,"vx":-1.2219392657279968,"vy":5.5244086077436805,"vz":1.2058830372989178},{"at":1838,"kind":"relay-stall","ms":2967},{"at":2001,"kind":"walk","player":1,"moveX":0,"moveZ":-1},{"at":2352,"kind":"throw","player":0,"vx":7.802260875701904,"vy":5.274345677345991,"vz":2.2128660902380943},{"at":2897,"kind":"walk","player":1,"moveX":-1,"moveZ":-1},{"at":3431,"kind":"walk","player":1,"moveX":-1,"moveZ":1},{"at":3494,"kind":"walk","player":0,"moveX":0,"moveZ":-1},{"at":4265,"kind":"crash","player":0},{"at":4495,"kind":"walk","player":1,"moveX":-1,"moveZ":0},{"at":4578,"kind":"throw","player":0,"vx":-5.479890886694193,"vy":4.805578655563295,"vz":-5.177033599466085}],"scene":"demo"}',
    ) as WorldSpec,
  },
  {
    seed: 248,
    found:
      "no honest player convicted (demo scene, four players, 8 s): a late input rewound an owner's tile; in the replay an entity that had already rolled into the owner's other tile left again and was sent to the relay, the other tile logged it arriving twice, and the audit convicted the owner of a forged record",
    spec: JSON.parse(
      '{"seed":248,"durationMs":8000,"players":4,"events":[{"at":273,"kind":"join","player":1},{"at":365,"kind":"join","player":0,"replicaMode":"extrapolated"},{"at":873,"kind":"walk","player":1,"moveX":0,"moveZ":1},{"at":926,"kind":"join","player":2},{"at":965,"kind":"throw","player":0,"vx":3.8201612308621407,"vy":5.419278253801167,"vz":4.5783542431890965},{"at":1161,"kind":"join","player":3},{"at":1481,"kind":"walk","player":0,"moveX":-1,"moveZ":0},{"at":1526,"kind":"throw","player":2,"vx":-7.505149573087692,"vy":3.5093043260276318,"vz":-5.507158536463976},{"at":1544,"kind":"walk","player":1,"moveX":-1,"moveZ":0},{"at":1761,"kind":"throw","player":3,"vx":5.779140822589397,"vy":3.66080223582685,"vz":-1.3859092891216278},{"at":1930,"kind":"walk","player":0,"moveX":-1,"moveZ":0},{"at":2075,"kind":"edit","player":0,"x":16,"y":2,"z":12},{"at":2254,"kind":"edit","player":1,"x":12,"y":2,"z":6},{"at":2304,"kind":"throw","player":0,"vx":4.085590276867151,"vy":2.158196907490492,"vz":-5.15640327334404},{"at":2618,"kind":"walk","player":3,"moveX":0,"moveZ":-1},{"at":2659,"kind":"walk","player":2,"moveX":0,"moveZ":-1},{"at":2676,"kind":"walk","player":1,"moveX":1,"moveZ":0},{"at":2727,"kind":"throw","player":0,"vx":3.1579424291849136,"vy":4.2018889132887125,"vz":-5.571632731705904},{"at":2937,"kind":"edit","player":3,"x":12,"y":2,"z":2},{"at":3014,"kind":"slow","player":0,"ms":1988,"everyMs":210},{"at":3102,"kind":"throw","player":3,"vx":7.32784753292799,"vy":3.598538652062416,"vz":-7.6067149117589},{"at":3284,"kind":"edit","player":2,"x":22,"y":2,"z":11},{"at":3434,"kind":"walk","player":2,"moveX":0,"moveZ":1},{"at":3509,"kind":"walk","player":0,"moveX":-1,"moveZ":0},{"at":3515,"kind":"edit","player":0,"x":3,"y":2,"z":4},{"at":3703,"kind":"walk","player":1,"moveX":0,"moveZ":1},{"at":3727,"kind":"walk","player":3,"moveX":0,"moveZ":0},{"at":3747,"kind":"edit","player":1,"x":16,"y":2,"z":7},{"at":3826,"kind":"network","loss":0.04666244862601161,"delayMs":22,"jitterMs":24},{"at":3884,"kind":"walk","player":0,"moveX":1,"moveZ":0},{"at":3971,"kind":"walk","player":2,"moveX":-1,"moveZ":0},{"at":4093,"kind":"throw","player":3,"vx":3.013017427176237,"vy":2.370193396694958,"vz":-6.794787336140871},{"at":4207,"kind":"walk","player":0,"moveX":-1,"moveZ":0},{"at":4391,"kind":"edit","player":3,"x":11,"y":2,"z":2},{"at":4436,"kind":"throw","player":1,"vx":4.1873221807181835,"vy":4.750602166168392,"vz":4.3317760191857815},{"at":4493,"kind":"walk","player":2,"moveX":0,"moveZ":0},{"at":4602,"kind":"leave","player":3},{"at":4710,"kind":"edit","player":2,"x":22,"y":2,"z":4},{"at":4821,"kind":"rejoin","player":3},{"at":4923,"kind":"walk","player":2,"moveX":-1,"moveZ":1},{"at":4956,"kind":"walk","player":3,"moveX":0,"moveZ":-1},{"at":5135,"kind":"network","loss":0.0691653905203566,"delayMs":49,"jitterMs":22},{"at":5205,"kind":"walk","player":1,"moveX":0,"moveZ":0},{"at":5355,"kind":"slow","player":2,"ms":2150,"everyMs":230},{"at":5404,"kind":"walk","player":0,"moveX":0,"moveZ":1},{"at":5500,"kind":"network","loss":0,"delayMs":10,"jitterMs":5,"duplicate":0},{"at":5684,"kind":"walk","player":3,"moveX":1,"moveZ":1},{"at":5844,"kind":"walk","player":1,"moveX":0,"moveZ":0},{"at":5903,"kind":"walk","player":2,"moveX":0,"moveZ":0},{"at":6342,"kind":"throw","player":0,"vx":3.7016897052526474,"vy":2.2022791411727667,"vz":-5.419779069721699},{"at":6602,"kind":"walk","player":1,"moveX":0,"moveZ":0},{"at":6669,"kind":"walk","player":3,"moveX":1,"moveZ":0},{"at":6747,"kind":"walk","player":2,"moveX":0,"moveZ":0},{"at":7042,"kind":"walk","player":3,"moveX":0,"moveZ":-1},{"at":7416,"kind":"throw","player":1,"vx":4.285546790808439,"vy":5.4110491424798965,"vz":-2.2239094376564026},{"at":7477,"kind":"walk","player":0,"moveX":0,"moveZ":-1}],"scene":"demo"}',
    ) as WorldSpec,
  },
];

describe('fault simulator: replay and regressions', () => {
  const spec = process.env['SIM_SPEC'];
  const seed = process.env['SIM_SEED'];
  if (spec || seed) {
    it('replays the given world', async () => {
      await initPhysics();
      const w: WorldSpec = spec ? (JSON.parse(spec) as WorldSpec) : generateWorld(Number(seed), CI_WORLD_MS, CI_MAX_PLAYERS);
      const r = runWorld(w);
      expect(r.violation).toBeUndefined();
    });
    return;
  }
  for (const c of REGRESSIONS) {
    it(`seed ${c.seed} holds — it once found ${c.found}`, async () => {
      await initPhysics();
      // Seeds below 100 were found in 6 s worlds, the rest in CI's.
      const mix = FIRST_FAULTS;
      expect(runWorld(c.seed < 100 ? generateWorld(c.seed, 6000, 4, mix) : generateWorld(c.seed, CI_WORLD_MS, CI_MAX_PLAYERS, mix)).violation).toBeUndefined();
    });
  }
  for (const c of REGRESSIONS_ALL_FAULTS) {
    it(`${c.spec ? 'shrunk world of seed' : 'seed'} ${c.seed} holds — it once found ${c.found}`, async () => {
      await initPhysics();
      expect(runWorld(c.spec ?? generateWorld(c.seed, CI_WORLD_MS, CI_MAX_PLAYERS, PARTITION_FAULTS)).violation).toBeUndefined();
    });
  }
  for (const c of REGRESSIONS_RELAY_LOAD) {
    it(`shrunk world of seed ${c.seed} holds — it once found ${c.found}`, async () => {
      await initPhysics();
      expect(runWorld(c.spec).violation).toBeUndefined();
    });
  }
  for (const c of REGRESSIONS_REPLICA_MODES) {
    it(`seed ${c.seed} holds — it once found ${c.found}`, async () => {
      await initPhysics();
      expect(runWorld(generateWorld(c.seed, CI_WORLD_MS, CI_MAX_PLAYERS, REPLICA_MODE_FAULTS)).violation).toBeUndefined();
    });
  }
});
