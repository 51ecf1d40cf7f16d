// Which store a control plane runs on: PostgreSQL when the configuration names one (the replicated
// mode, several replicas on one database), else the embedded SQLite file in dataDir (one process,
// nothing else to install).
import type { ControlPlaneConfig } from '../config.js';
import { PostgresStore } from './postgres.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './types.js';

export async function openStore(config: Pick<ControlPlaneConfig, 'dataDir' | 'store'>): Promise<Store> {
  if (config.store?.url) return PostgresStore.open({ url: config.store.url });
  return new SqliteStore({ dataDir: config.dataDir });
}
