import * as Y from 'yjs';
import { ErrorCode, TesseraError } from '../core/errors.js';
import { tileOf } from '../core/tile.js';
import { checkObjectSpec, objectMap, TEMPLATE_ENTITY_BASE, CREATED_ENTITY_BASE, WorldLayout, type ObjectSpec } from './world-layout.js';

/** A published world template as JSON: the objects every world made from it starts with. */
export interface TemplateJson {
  /** Format tag; only `tessera-template@1` is read. */
  readonly format: 'tessera-template@1';
  /** The objects the world starts with. */
  readonly objects: readonly ObjectSpec[];
}

/** Yjs client id that writes templates: the same JSON always gives the same bytes. */
const TEMPLATE_CLIENT = 1;

/**
 * The immutable base layer of a world (paper §3.10) as a Yjs update, built deterministically
 * from JSON: object `i` gets key `tpl-i` and entity id `TEMPLATE_ENTITY_BASE + i`. Throws
 * `bad-input` naming the first bad object.
 */
export function templateFromJson(json: TemplateJson, tileEdge: number): Uint8Array {
  if (json.format !== 'tessera-template@1' || !Array.isArray(json.objects)) throw new TesseraError(ErrorCode.BadInput, 'not a Tessera template (format "tessera-template@1" with an "objects" array)');
  if (json.objects.length > CREATED_ENTITY_BASE - TEMPLATE_ENTITY_BASE) throw new TesseraError(ErrorCode.BadInput, `a template of ${json.objects.length} objects is too large`);
  const doc = new Y.Doc({ gc: true });
  doc.clientID = TEMPLATE_CLIENT;
  const layout = new WorldLayout(doc, tileEdge);
  doc.transact(() => {
    json.objects.forEach((spec, i) => {
      try {
        checkObjectSpec(spec);
      } catch (e) {
        throw new TesseraError(ErrorCode.BadInput, `template object ${i}: ${e instanceof Error ? e.message : String(e)}`);
      }
      const m = objectMap(spec);
      m.set('eid', TEMPLATE_ENTITY_BASE + i);
      layout.tileMap(tileOf(spec.position, tileEdge)).set(`tpl-${i}`, m);
    });
  });
  const bytes = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return bytes;
}

/** Reads a template file: JSON (`TemplateJson`) or a binary Yjs update. */
export function readTemplateFile(bytes: Uint8Array, tileEdge: number): Uint8Array {
  if (bytes[0] === 0x7b /* { */) {
    let json: TemplateJson;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes)) as TemplateJson;
    } catch (e) {
      throw new TesseraError(ErrorCode.BadInput, `template is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    return templateFromJson(json, tileEdge);
  }
  try {
    Y.decodeUpdate(bytes);
  } catch (e) {
    throw new TesseraError(ErrorCode.BadInput, `template is neither JSON nor a Yjs update: ${e instanceof Error ? e.message : String(e)}`);
  }
  return bytes;
}

/** A world's current layout as template JSON (to publish a world others can start from). */
export function layoutAsTemplate(layout: WorldLayout): TemplateJson {
  return {
    format: 'tessera-template@1',
    objects: layout.objects().map((o) => ({ kind: o.kind, position: o.position, yaw: o.yaw, color: o.color, ...(Object.keys(o.props).length > 0 ? { props: o.props } : {}) })),
  };
}
