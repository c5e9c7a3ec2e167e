import { joinWorld } from '../../src/index.js';

const handle = await joinWorld({ relay: 'ws://127.0.0.1:8787/', world: 'demo', name: 'ada', color: '#ff8c42' });
const { layout, social } = handle.world;
const key = layout.place({ kind: 'ramp', position: { x: 8, y: 1.3, z: 8 }, yaw: 0.5, color: '#3fa7ff' });
layout.move(key, { x: 20, y: 1.3, z: 8 });          // to another tile too
layout.configure(key, { color: '#ff0000' });
await handle.whenAcknowledged();                    // the relay has stored every edit so far
social.say('ramp is up');
social.onChat((lines) => console.log(lines.at(-1)?.text));
social.onPresence(() => console.log(social.online().map((p) => `${p.name}${p.editing ? ' (editing)' : ''}`)));
layout.remove(key);
layout.undo();                                      // the ramp is back (a new entity)
layout.redo();                                      // and gone again
