// Test helper: JSON Schema validators for the vendored SARIF and GitLab schemas, read in place from the shared corpus.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusRoot } from './corpus.js';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv and ajv-formats are CommonJS with `exports.default`; under NodeNext the default import is the module object.
type AjvClass = typeof AjvModule.default;
const Ajv: AjvClass = ((AjvModule as unknown as { default?: AjvClass }).default ?? AjvModule) as AjvClass;
type AddFormats = typeof addFormatsModule.default;
const addFormats: AddFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as AddFormats;

/** The shared corpus (one definition: test/helpers/corpus.ts). */
export const CORPUS_DIR = corpusRoot;
export const SARIF_SCHEMA_PATH = join(CORPUS_DIR, 'sarif/schema/sarif-schema-2.1.0.json');
export const gitlabSchemaPath = (kind: 'sast' | 'container-scanning' | 'dependency-scanning', version = '15.2.1') =>
  join(CORPUS_DIR, `gitlab-schemas/${version}/${kind}-report-format.json`);

export const schemasAvailable = existsSync(SARIF_SCHEMA_PATH) && existsSync(gitlabSchemaPath('sast'));

export interface Validator {
  (data: unknown): boolean;
  errorsText(): string;
}

function compile(schema: Record<string, unknown>, extra: Record<string, unknown>[] = []): Validator {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  for (const s of extra) ajv.addSchema(s);
  const validate = ajv.compile(schema);
  const fn = ((data: unknown) => validate(data) as boolean) as Validator;
  fn.errorsText = () => ajv.errorsText(validate.errors, { separator: '\n' });
  return fn;
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/**
 * SARIF's schema is draft-04 (`id`, `$schema` draft-04), which Ajv 8 does not load. It uses no draft-04-only
 * keyword forms (no boolean exclusiveMinimum/Maximum), so it is validated as draft-07 after renaming the root
 * `id` to `$id` and dropping `$schema`.
 */
export function sarifValidator(): Validator {
  const schema = readJson(SARIF_SCHEMA_PATH);
  if (schema.$schema !== 'http://json-schema.org/draft-04/schema#') throw new Error(`Unexpected SARIF schema dialect ${String(schema.$schema)}`);
  const { id, $schema: _dialect, ...rest } = schema;
  return compile({ $id: id, ...rest });
}

/** GitLab schemas are draft-07: loaded as they are. */
export function gitlabValidator(kind: 'sast' | 'container-scanning' | 'dependency-scanning', version = '15.2.1'): Validator {
  const schema = readJson(gitlabSchemaPath(kind, version));
  if (schema.$schema !== 'http://json-schema.org/draft-07/schema#') throw new Error(`Unexpected GitLab schema dialect ${String(schema.$schema)}`);
  return compile(schema);
}

/** CycloneDX 1.6 (draft-07) with the SPDX licence list and JSF signature schemas it references. */
export function cyclonedxValidator(): Validator {
  const dir = join(CORPUS_DIR, 'cyclonedx/schema');
  const withoutDialect = (s: Record<string, unknown>) => {
    const { $schema: _dialect, ...rest } = s;
    return rest;
  };
  return compile(withoutDialect(readJson(join(dir, 'bom-1.6.schema.json'))), [
    withoutDialect(readJson(join(dir, 'spdx.schema.json'))),
    withoutDialect(readJson(join(dir, 'jsf-0.82.schema.json'))),
  ]);
}
