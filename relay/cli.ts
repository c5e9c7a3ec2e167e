#!/usr/bin/env node
// `tessera` command line. The relay server is the subject of its own issue; until it lands the
// command says so plainly and exits non-zero, so no script mistakes it for a running relay.
import { RELAY_PROTOCOL_VERSION } from './index.js';

const USAGE = `Usage: tessera <command>

Commands:
  relay [--port N]   start the relay server (not built yet in this version)
  --help             show this help
  --version          print the package and relay protocol versions`;

function main(argv: readonly string[]): number {
  const [command] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    console.log(USAGE);
    return 0;
  }
  if (command === '--version') {
    console.log(`tessera relay protocol ${RELAY_PROTOCOL_VERSION}`);
    return 0;
  }
  if (command === 'relay') {
    console.error('tessera: relay not built yet (see the relay issue); nothing was started.');
    return 2;
  }
  console.error(`tessera: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
  return 64;
}

process.exitCode = main(process.argv.slice(2));
