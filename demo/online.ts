// Online mode of the demo: this tab is one player in a world shared through the relay.
import * as THREE from 'three';
import { DEFAULT_REPLICATION, joinWorld, tileKey, type ReplicaMode, type StatusEvent, type TransportMode, type PlayerClient, type WorldHandle } from '../src/index.js';
import { debugPanel } from './debug-panel.js';
import { createEditor } from './editor.js';
import { createSocialPanel } from './social-panel.js';
import type { Hud } from './hud.js';
import { faceAlong, meshFor, NAME_TAG_SIZE, nameTag } from './render/meshes.js';
import { TrackFinder } from './render/track.js';
import { createView, headingTowards, keyboardInput } from './render/view.js';
import { createTouchControls } from './touch-controls.js';

declare global {
  interface Window {
    /** The demo's world handle, for tests and the console. */
    tesseraDemo?: {
      handle: WorldHandle;
      client: PlayerClient;
      joinedAtMs?: number;
      screenOf?: (entity: number) => { x: number; y: number } | undefined;
      /** Which way the camera looks (`View.heading`, radians; 0 = towards −z), once set for the avatar: the keys and the stick walk in its frame. */
      heading?: () => number | undefined;
      /** Turns drawing on or off at once (`?render=` sets it at load): the bench measures both in one session. */
      setRender?: (on: boolean) => void;
    };
  }
}

const OWNER_COLOURS = [0xff8c42, 0x3fa7ff, 0xc86bff, 0xffd23f, 0xff5d8f, 0x4fd1c5, 0xa3e635];

/** Colour of a tile's tint: you (green), another player (a colour per player, until their own colour is known), the relay (grey). */
function ownerColour(owner: number, self: number): number {
  if (owner === 0) return 0x9aa0a6;
  if (owner === self) return 0x35d07f;
  return OWNER_COLOURS[owner % OWNER_COLOURS.length]!;
}

export async function runOnline(canvas: HTMLCanvasElement, statsEl: HTMLElement, params: URLSearchParams, hud: Hud, touch: boolean, fail: (err: unknown) => void): Promise<void> {
  const relayPort = (import.meta.env['VITE_TESSERA_RELAY_PORT'] as string | undefined) ?? '8787';
  const relay = params.get('relay') ?? `ws://${location.hostname || '127.0.0.1'}:${relayPort}/`;
  const name = params.get('name') ?? `player-${Math.floor(performance.now() * 1000) % 10000}`;
  const transport = (params.get('transport') ?? 'auto') as TransportMode;
  // `?replicas=speculative|extrapolated|interpolated`: how other owners' tiles move between updates.
  const replicaMode = (params.get('replicas') ?? 'speculative') as ReplicaMode;
  statsEl.textContent = `joining ${relay} …`;
  hud.setBadge(`joining as ${name}…`, 'offline');
  const sendHz = Number(params.get('sendHz') ?? 20);
  const replication = { ...DEFAULT_REPLICATION, sendEveryTicks: Math.max(1, Math.round(60 / sendHz)) };
  // `?delay=40&jitter=10&loss=0.02`: play under simulated network trouble (one way, ms).
  const delayMs = Number(params.get('delay') ?? 0);
  const jitterMs = Number(params.get('jitter') ?? 0);
  const loss = Number(params.get('loss') ?? 0);
  const conditions = delayMs > 0 || jitterMs > 0 || loss > 0 ? { delayMs, jitterMs, loss } : undefined;
  // The view is made while the join is on the wire (creating a WebGL context takes tens of ms).
  const view = createView(canvas, params.get('quality') === 'low' ? 'low' : 'high');
  // `?kinds=URL`: the world's kinds module (when its relay runs with `--kinds`); the player runs in a Web Worker (`?simulation=main`: on this page).
  const kinds = params.get('kinds') ?? undefined;
  // The first text drawn on a canvas loads fonts (~100 ms): do it while the join is on the wire, not in a frame after.
  const warm = document.createElement('canvas').getContext('2d');
  if (warm) {
    warm.font = '28px system-ui, sans-serif';
    warm.fillText('warm', 0, 20);
  }
  // The page's first RTCPeerConnection starts the browser's WebRTC machinery (60-70 ms of main
  // thread here): pay it while the page loads, not when the first peer is met just after joining.
  if (transport !== 'relay' && typeof RTCPeerConnection === 'function') new RTCPeerConnection({ iceServers: [] }).close();
  const simulation = params.get('simulation') === 'worker' ? 'worker' : params.get('simulation') === 'main' ? 'main' : undefined;
  // The page's loading (modules, the view, the warm-ups above) ends here: the join starts in a task of its own.
  await new Promise((r) => setTimeout(r, 0));
  performance.mark('tessera-join-start'); // the bench measures main-thread tasks from here
  const handle = await joinWorld({ relay, world: params.get('world') ?? 'demo', name, transport, replication, replicaMode, ...(conditions ? { conditions } : {}), ...(kinds ? { kinds } : {}), ...(simulation ? { simulation } : {}) });
  const joinedAtMs = performance.now();
  // The page's own setup after the join runs in short tasks: one long one would hold input and frames.
  const yieldToPage = (): Promise<void> => new Promise((r) => setTimeout(r, 0));
  await yieldToPage();
  // The relay may go away and come back: the handle reconnects on its own, with a new client.
  let client = handle.client;
  window.tesseraDemo = { handle, client, joinedAtMs };
  let reconnecting: StatusEvent | undefined;
  const config = client.worldConfig!;
  const edge = config.tileEdge;

  let auditLines = debugPanel(document.getElementById('debug')!, client);
  handle.on('status', (e) => {
    if (e.status === 'left') return fail(new Error(`left the world: ${e.reason}`));
    reconnecting = e.status === 'reconnecting' ? e : undefined;
    statsEl.dataset['status'] = e.status;
    if (e.status === 'connected') {
      client = handle.client;
      window.tesseraDemo = { ...window.tesseraDemo, handle, client };
      auditLines = debugPanel(document.getElementById('debug')!, client);
    }
  });
  statsEl.dataset['status'] = 'connected';
  // `?render=off`: simulate and replicate without drawing (load tests, benchmarks).
  let render = params.get('render') !== 'off';
  window.tesseraDemo!.setRender = (on) => {
    render = on;
  };
  let facing = { x: 0, z: -1 };
  // Keys and stick give a move in the camera's frame (W: where the camera looks); the avatar takes it in the world's.
  const move = (right: number, back: number): void => {
    const { moveX, moveZ } = view.toWorld(right, back);
    if (moveX !== 0 || moveZ !== 0) facing = { x: moveX, z: moveZ };
    client.send({ moveX, moveZ });
  };
  const jump = (): void => client.send({ jump: true });
  // A ball thrown the way you last walked (12 m/s, 25° up), stamped with the tick you threw at.
  const throwBall = (): void => {
    const len = Math.hypot(facing.x, facing.z) || 1;
    client.send({ throw: true, vx: (facing.x / len) * 10.9, vy: 5.1, vz: (facing.z / len) * 10.9, atTick: client.currentTick() });
  };
  keyboardInput(move, jump);
  // F: throw.
  window.addEventListener('keydown', (e) => {
    // Typing an "f" in the chat is not a throw.
    if (e.code !== 'KeyF' || e.repeat || e.target instanceof HTMLInputElement) return;
    throwBall();
  });
  // Phones and tablets: a stick to walk, buttons to jump and throw.
  if (touch) createTouchControls(document.getElementById('touch')!, { onMove: move, onJump: jump, onThrow: throwBall });

  // Tile tints: a translucent quad per tile, coloured by its owner.
  const tints = new Map<string, THREE.Mesh>();
  const tintGeometry = new THREE.PlaneGeometry(edge * 0.98, edge * 0.98).rotateX(-Math.PI / 2);
  const meshes = new Map<number, THREE.Object3D>();
  const labels = new Map<number, THREE.Sprite>();
  // The train's track, drawn once the train has been seen going round.
  const tracks = new TrackFinder((t) => view.scene.add(t));
  const focus = new THREE.Vector3(edge / 2, 1.8, edge / 2);

  // Tile tints show who simulates what: a debug view, shown with the debug panel.
  let showTints = false;
  hud.onDebug((open) => {
    showTints = open;
    for (const m of tints.values()) m.visible = open;
  });
  // The world's ground, as its slabs arrive: the scenery keeps off it.
  const bounds = { x0: Infinity, x1: -Infinity, z0: Infinity, z1: -Infinity };

  // The world's layout and social state: edit toolbar, chat, who is online.
  const layout = handle.world.layout;
  let colours = new Map<number, string>();
  const recolour = (): void => {
    colours = new Map(layout.objects().flatMap((o) => (o.entity !== undefined ? [[o.entity, o.color] as [number, string]] : [])));
  };
  layout.onChange(recolour);
  recolour();
  await yieldToPage();
  const editor = createEditor(document.getElementById('editor')!, {
    handle,
    camera: view.camera,
    scene: view.scene,
    canvas,
    meshes,
    avatar: () => {
      const me = client.entities().find((e) => e.id === client.avatar);
      return me ? { position: me.position, facing } : undefined;
    },
  });
  await yieldToPage();
  const refreshOnline = createSocialPanel(document.getElementById('social')!, handle, edge);
  await yieldToPage();
  let lastPresence = 0;
  // Where an entity is drawn on the page, CSS pixels (tests click objects with it).
  window.tesseraDemo.heading = () => (aimed ? view.heading : undefined);
  window.tesseraDemo.screenOf = (entity) => {
    const mesh = meshes.get(entity);
    if (!mesh) return undefined;
    const p = mesh.position.clone().project(view.camera);
    const r = canvas.getBoundingClientRect();
    return { x: r.left + ((p.x + 1) / 2) * r.width, y: r.top + ((1 - p.y) / 2) * r.height };
  };

  // A new player looks into the world, towards the centre of its tiles (once, when its avatar
  // first shows and the tiles are known); from then on the camera keeps that heading.
  let aimed = false;
  const aimAtCentre = (p: { x: number; z: number }): boolean => {
    const ground = client.tiles().filter((t) => t.tile.y === 0);
    if (ground.length === 0) return false;
    const xs = ground.map((t) => t.tile.x);
    const zs = ground.map((t) => t.tile.z);
    const centre = { x: ((Math.min(...xs) + Math.max(...xs) + 1) / 2) * edge, z: ((Math.min(...zs) + Math.max(...zs) + 1) / 2) * edge };
    view.heading = headingTowards(p, centre);
    facing = { x: -Math.sin(view.heading), z: -Math.cos(view.heading) };
    return true;
  };
  let frames = 0;
  let lastHud = 0;
  let fpsFrames = 0;
  let fpsSince = performance.now();
  const loop = (): void => {
    try {
      const self = client.peerId;
      const online = handle.world.social.online();
      // Each player's colour (the one the online list and their body show), by peer id.
      const peerColours = new Map(online.flatMap((p) => (p.peer !== undefined ? [[p.peer, p.color] as const] : [])));
      const seen = new Set<number>();
      if (!render) {
        // Nothing is drawn: only what the page reports and sends (entities in view, where the
        // player is, the camera's first aim) is kept up; meshes catch up when drawing resumes.
        for (const e of client.entities()) {
          seen.add(e.id);
          if (e.id === client.avatar) {
            focus.set(e.position.x, e.position.y, e.position.z);
            if (!aimed) aimed = aimAtCentre(e.position);
          }
        }
      } else for (const t of client.tiles()) {
        const key = tileKey(t.tile);
        let m = tints.get(key);
        if (!m) {
          m = new THREE.Mesh(tintGeometry, new THREE.MeshBasicMaterial({ transparent: true, opacity: 0.28, depthWrite: false }));
          m.position.set((t.tile.x + 0.5) * edge, t.tile.y * edge + 1.03, (t.tile.z + 0.5) * edge);
          m.visible = showTints;
          tints.set(key, m);
          view.scene.add(m);
        }
        const colour = t.owner !== 0 && t.owner !== self ? peerColours.get(t.owner) : undefined;
        if (colour) (m.material as THREE.MeshBasicMaterial).color.set(colour);
        else (m.material as THREE.MeshBasicMaterial).color.setHex(ownerColour(t.owner, self));
      }
      const names = render ? new Map(client.players().map((p) => [p.avatar, p.name])) : new Map<number, string>();
      const presence = new Map(online.flatMap((p) => (p.avatar !== undefined ? [[p.avatar, p] as const] : [])));
      // New meshes per frame are capped: joining a busy world must not freeze the page for one long frame.
      let newMeshes = 0;
      if (render) for (const e of client.entities()) {
        let mesh = meshes.get(e.id);
        // Our own avatar is never put off: the camera follows it and aims by it.
        if (!mesh && newMeshes >= 32 && e.id !== client.avatar) continue;
        seen.add(e.id);
        if (!mesh) {
          newMeshes++;
          mesh = meshFor({ id: e.id, kind: e.kind, body: e.body, position: e.position }, edge);
          if (e.kind === 'avatar' && e.id === client.avatar) ((mesh as THREE.Mesh).material as THREE.MeshLambertMaterial).color.setHex(0x35d07f);
          mesh.userData['entity'] = e.id;
          const s = e.body.shape;
          if (e.kind === 'ground' && s.type === 'box' && s.halfExtents.x * 2 >= edge * 0.99 && s.halfExtents.z * 2 >= edge * 0.99) {
            bounds.x0 = Math.min(bounds.x0, e.position.x - s.halfExtents.x);
            bounds.x1 = Math.max(bounds.x1, e.position.x + s.halfExtents.x);
            bounds.z0 = Math.min(bounds.z0, e.position.z - s.halfExtents.z);
            bounds.z1 = Math.max(bounds.z1, e.position.z + s.halfExtents.z);
            view.fitWorld(bounds.x0, bounds.x1, bounds.z0, bounds.z1);
          }
          meshes.set(e.id, mesh);
          view.scene.add(mesh);
        }
        const authored = colours.get(e.id);
        if (authored !== undefined && mesh.userData['colour'] !== authored) {
          ((mesh as THREE.Mesh).material as THREE.MeshStandardMaterial).color.set(authored);
          mesh.userData['colour'] = authored;
        }
        if (mesh.userData['turns']) {
          // Players face where they go (you: where you last walked, which is where you throw).
          if (e.id === client.avatar) faceAlong(mesh, facing.x, facing.z);
          else faceAlong(mesh, e.position.x - mesh.position.x, e.position.z - mesh.position.z);
        } else mesh.quaternion.set(e.rotation.x, e.rotation.y, e.rotation.z, e.rotation.w);
        mesh.position.set(e.position.x, e.position.y, e.position.z);
        if (mesh.userData['train']) tracks.see(e.id, client.reportedPosition(e.id)?.position ?? e.position); // as its owner reported it: on the circle, not extrapolated off it
        if (e.kind === 'avatar') {
          const who = presence.get(e.id);
          const known = who?.name ?? names.get(e.id) ?? (e.id === client.avatar ? name : undefined);
          const text = e.id === client.avatar ? `${known} (you)` : known;
          const colour = who?.color ?? '#9da7b3';
          if (who?.color && mesh.userData['player'] !== who.color) {
            // Each player's body in the colour the online list shows for them.
            ((mesh as THREE.Mesh).material as THREE.MeshLambertMaterial).color.set(who.color);
            mesh.userData['player'] = who.color;
          }
          let l = labels.get(e.id);
          if (l && l.name !== `${text}|${colour}`) {
            // The roster arrived after the avatar: redraw the label with the player's name.
            view.scene.remove(l);
            labels.delete(e.id);
            l = undefined;
          }
          // No name known: a player who has left (the body stays until the world removes it) or
          // one whose name is on its way. No tag rather than a bare entity id.
          if (!l && text !== undefined) {
            l = nameTag(text, colour);
            l.name = `${text}|${colour}`;
            labels.set(e.id, l);
            view.scene.add(l);
          }
          l?.position.set(e.position.x, e.position.y + 1.3, e.position.z);
        }
        if (e.id === client.avatar) {
          focus.set(e.position.x, e.position.y, e.position.z);
          if (!aimed) aimed = aimAtCentre(e.position);
        }
      }
      if (render) for (const [id, mesh] of meshes) {
        if (seen.has(id)) continue;
        view.scene.remove(mesh);
        meshes.delete(id);
        const l = labels.get(id);
        if (l) {
          view.scene.remove(l);
          labels.delete(id);
        }
      }
      // Name tags nearer the camera than your own are drawn no bigger than yours (a player
      // walking past the camera would otherwise carry a tag as wide as the screen).
      const ref = view.camera.position.distanceTo(focus);
      if (render) for (const l of labels.values()) {
        const k = ref > 0 ? Math.min(1, view.camera.position.distanceTo(l.position) / ref) : 1;
        l.scale.set(NAME_TAG_SIZE.width * k, NAME_TAG_SIZE.height * k, 1);
      }
      if (render) view.render(focus);
      frames++;
      const now = performance.now();
      editor.update();
      if (now - lastPresence > 500) {
        // Where this player is, for everyone's online list (presence is ephemeral, never stored).
        lastPresence = now;
        const was = handle.world.social.awareness.getLocalState()?.['position'] as { x: number; z: number } | undefined;
        // Sent only when the player moved half a metre or more (awareness renews itself every 15 s).
        if (!was || Math.hypot(was.x - focus.x, was.z - focus.z) > 0.5 || handle.world.social.awareness.getLocalState()?.['avatar'] !== client.avatar) {
          handle.world.social.updatePresence({ position: { x: Math.round(focus.x * 10) / 10, y: Math.round(focus.y * 10) / 10, z: Math.round(focus.z * 10) / 10 }, peer: client.peerId, avatar: client.avatar });
        }
        refreshOnline();
      }
      fpsFrames++;
      if (now - fpsSince >= 1000) {
        // Frames the page ran in the last second (with or without drawing): what a player would get.
        statsEl.dataset['fps'] = (fpsFrames / ((now - fpsSince) / 1000)).toFixed(1);
        fpsFrames = 0;
        fpsSince = now;
      }
      if (now - lastHud > 250) {
        lastHud = now;
        const s = client.stats();
        statsEl.dataset['tick'] = String(s.tick);
        statsEl.dataset['peer'] = String(s.peer);
        statsEl.dataset['entities'] = String(seen.size);
        statsEl.dataset['owned'] = s.ownedTiles.map(tileKey).join(' ');
        statsEl.dataset['paths'] = JSON.stringify(s.peers);
        statsEl.dataset['audits'] = String(s.audit.audits);
        statsEl.dataset['takeovers'] = String(s.audit.takeovers);
        statsEl.dataset['incidents'] = String(s.incidents);
        document.body.dataset['ready'] = 'true';
        const players = client.players();
        const audit = auditLines();
        hud.setNotice(audit.notice);
        hud.setBadge(reconnecting ? `relay lost: reconnecting (attempt ${reconnecting.attempt})…` : `${name} · ${players.length} online`, reconnecting ? 'reconnecting' : 'connected');
        statsEl.textContent = [
          ...(reconnecting ? [`⟳ relay lost (${reconnecting.reason}): reconnecting, attempt ${reconnecting.attempt}…`] : []),
          `you         ${name} (peer ${s.peer})`,
          `tick        ${s.tick}`,
          `rtt         ${s.rttMs.toFixed(1)} ms  (clock ±${Number.isFinite(s.clockErrorMs) ? s.clockErrorMs.toFixed(1) : '?'} ms)`,
          `up / down   ${(s.bytesUpPerS / 1024).toFixed(1)} / ${(s.bytesDownPerS / 1024).toFixed(1)} KiB/s`,
          `owned tiles ${s.ownedTiles.map(tileKey).join('  ') || '–'}`,
          `entities    ${seen.size}`,
          `players     ${players.length}`,
          `replicas    ${s.replicas.mode}: error p50 ${s.replicas.predictionErrorP50Cm.toFixed(1)} / p99 ${s.replicas.predictionErrorP99Cm.toFixed(1)} cm · ${s.replicas.rollbacksPerS.toFixed(1)} rollbacks/s · ${s.replicas.replayedTicksPerS.toFixed(0)} replayed ticks/s · ${s.replicas.ownerRewinds} late-input rewinds · ${s.replicas.jumps} jumps to the present`,
          ...audit.lines,
          ...s.peers.map((p) => `  peer ${String(p.peer).padEnd(4)} ${p.path}${players.find((x) => x.peer === p.peer) ? `  ${players.find((x) => x.peer === p.peer)!.name}` : ''}`),
        ].join('\n');
      }
    } catch (e) {
      fail(e);
      return;
    }
    next();
  };
  // A page that draws nothing asks for no animation frames (each one makes the browser run a
  // frame's style, layout and commit on the main thread: a third of an idle tab's main-thread
  // time here): a timer runs the loop at the display's 60 Hz instead.
  let due = performance.now();
  const next = (): void => {
    if (render) {
      requestAnimationFrame(loop);
      return;
    }
    due = Math.max(due + 1000 / 60, performance.now() - 1000 / 60);
    setTimeout(loop, Math.max(0, due - performance.now()));
  };
  next();
  void frames;
}
