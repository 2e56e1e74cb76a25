// The plugin registry: hand-kept, alphabetical, one line per plugin. Adding a scanner is one folder
// under integrations/scanners/<id>/ and one line here; test/contract checks every entry.
import type { ScannerPlugin } from '../src/plugins/scanner.js';

export const scanners: readonly ScannerPlugin[] = [
];
