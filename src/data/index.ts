// ScanHub's own vulnerability data (DESIGN §8): CISA KEV, FIRST EPSS, OSV — update, store, enrich,
// freshness, offline bundles. The public surface; see each module for details.
export { DATA_SOURCES, DEFAULT_DATA_OPTIONS, dataOptionsFromConfig, isDataSource, loadKey, DataKeyError, type DataConfigFields, type DataOptions, type DataSource } from './options.js';
export { enrichFindings, dataFreshness, oldestCheck, type EnrichableFinding, type FindingEnrichment, type KevEnrichment, type EpssEnrichment, type SourceFreshness } from './enrich.js';
export { updateSources, runManualUpdate, runScheduledUpdate, acquireUpdateLock, releaseUpdateLock, UpdateRunningError, type UpdateResult, type UpdateRequest, type ScheduledRun } from './update.js';
export { createBundle, importBundle, generateDataKeyPair, BundleError, bundleManifestSchema, type BundleManifest, type ImportResult } from './bundle.js';
export { DataFormatError } from './formats.js';
export { DataValidationError } from './store.js';
