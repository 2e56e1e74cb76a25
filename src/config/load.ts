// Reads the environment into a validated Config; a bad value fails start-up naming the variable.
import { configFields, configSchema, type Config, type ConfigKey } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<ConfigKey, unknown>> = {}): Config {
  const raw: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(configFields)) {
    const value = env[field.env];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  Object.assign(raw, overrides);
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = issue.path[0] as ConfigKey | undefined;
      const name = key && key in configFields ? configFields[key].env : String(key);
      // The message names the variable and the rule, never the (possibly secret) value.
      return `${name}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return result.data;
}
