// A connection's settings form, generated from its zod schema (the same one the API validates with):
// text, number, choice, yes/no and list inputs; secret fields are password inputs that are never
// filled in, and left empty they keep the stored secret (SECRET_MASK, as the API documents).
import { z } from 'zod';
import type { ConnectionSpec } from '../../../plugins/connection.js';
import { SECRET_MASK } from '../../../store/repositories/integrations.js';

interface JsonProp {
  type?: string;
  enum?: unknown[];
  default?: unknown;
  format?: string;
  items?: { type?: string };
  description?: string;
}

export interface FormField {
  name: string;
  id: string;
  label: string;
  input: 'text' | 'password' | 'number' | 'select' | 'yesno' | 'list' | 'json';
  inputType: string;
  required: boolean;
  options: { value: string; label: string; selected: boolean }[];
  value: string;
  secretSet: boolean;
  hint: string | null;
  error: string | null;
}

const FIELD_PREFIX = 'cfg.';

function kindOf(prop: JsonProp, secret: boolean): FormField['input'] {
  if (secret) return 'password';
  if (prop.enum) return 'select';
  if (prop.type === 'boolean') return 'yesno';
  if (prop.type === 'integer' || prop.type === 'number') return 'number';
  if (prop.type === 'array' && (prop.items?.type === 'string' || prop.items?.type === undefined)) return 'list';
  if (prop.type === 'string') return 'text';
  return 'json';
}

function shown(value: unknown, input: FormField['input']): string {
  if (value === undefined || value === null) return '';
  if (input === 'list' && Array.isArray(value)) return value.join('\n');
  if (input === 'json') return JSON.stringify(value);
  return String(value);
}

/** The form fields of a connection kind, filled with `current` settings (secrets never filled). */
export function connectionFields(spec: ConnectionSpec, current: Record<string, unknown> = {}, errors: Record<string, string> = {}): FormField[] {
  const schema = z.toJSONSchema(spec.configSchema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, JsonProp>; required?: string[] };
  const secrets = new Set<string>(spec.secretFields);
  return Object.entries(schema.properties ?? {}).map(([name, prop]) => {
    const input = kindOf(prop, secrets.has(name));
    const value = current[name] ?? (input === 'password' ? undefined : prop.default);
    const selected = shown(value, input);
    const options =
      input === 'select'
        ? [{ value: '', label: '(default)', selected: selected === '' }, ...(prop.enum ?? []).map((o) => ({ value: String(o), label: String(o), selected: String(o) === selected }))]
        : input === 'yesno'
          ? [
              { value: '', label: '(default)', selected: selected === '' },
              { value: 'true', label: 'yes', selected: selected === 'true' },
              { value: 'false', label: 'no', selected: selected === 'false' },
            ]
          : [];
    return {
      name: FIELD_PREFIX + name,
      id: `cfg-${name}`,
      label: name,
      input,
      inputType: input === 'number' ? 'number' : prop.format === 'email' ? 'email' : prop.format === 'uri' ? 'url' : 'text',
      required: (schema.required ?? []).includes(name) && prop.default === undefined && !(input === 'password' && current[name] === SECRET_MASK),
      options,
      value: input === 'password' ? '' : selected,
      secretSet: input === 'password' && current[name] === SECRET_MASK,
      hint: input === 'list' ? 'One per line.' : input === 'json' ? 'JSON.' : input === 'password' && current[name] === SECRET_MASK ? 'Stored; leave empty to keep it.' : (prop.description ?? null),
      error: errors[`config.${name}`] ?? null,
    };
  });
}

/** The settings object a connection form posted (cfg.<field>), typed as the schema expects. */
export function connectionConfig(spec: ConnectionSpec, body: Record<string, unknown>, editing: boolean): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const f of connectionFields(spec)) {
    const raw = body[f.name];
    const text = typeof raw === 'string' ? raw.trim() : '';
    const key = f.name.slice(FIELD_PREFIX.length);
    if (text === '') {
      // An empty secret on an edit keeps the stored one; elsewhere empty means "not set".
      if (f.input === 'password' && editing) config[key] = SECRET_MASK;
      continue;
    }
    if (f.input === 'number') config[key] = Number(text);
    else if (f.input === 'yesno') config[key] = text === 'true';
    else if (f.input === 'list') config[key] = text.split(/\r?\n|,/).map((s) => s.trim()).filter(Boolean);
    else if (f.input === 'json') {
      try {
        config[key] = JSON.parse(text);
      } catch {
        config[key] = text;
      }
    } else config[key] = text;
  }
  return config;
}

/** A stored connection's settings for display: secrets are already SECRET_MASK in the view. */
export function settingsSummary(config: Record<string, unknown>): { key: string; value: string }[] {
  return Object.entries(config)
    .filter(([key]) => !key.startsWith('__'))
    .map(([key, value]) => ({ key, value: Array.isArray(value) ? value.join(', ') : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value) }));
}
