// The root context of one plugin in one worker VM: owns the parsed configuration (static + the last
// accepted pushed snapshot), the control-plane stream, the tick, and the identity sent in Hello.
// Empty plugin configuration loads in fail-safe mode (ROLE_NONE): no reporting, requests pass
// untouched, except outbound calls that carry a shadow marker, which are denied (rule
// "unconfigured") — a shadow whose configuration is missing must not cause side effects, and
// Envoy only loads a plugin whose on_configure returns true.
import { Config, ROLE_NONE, parseConfig, identityConflict } from "./config/parse";
import { getBuffer, getPropertyString, incrementMetric, log, LOG_ERROR, LOG_INFO, LOG_WARN, nowNanos, setTickPeriod, sharedGet, sharedSet, lastCas } from "./host";
import { PLUGIN_CONFIGURATION, OK } from "./abi";
import { metrics, inc } from "./metrics";
import { StreamClient, StreamOwner } from "./stream/client";
import { Hello } from "./stream/messages";
import { ConfigSnapshot, FilterMessage } from "./stream/messages";
import { Ack, Nack } from "./stream/messages";
import { KIND_HALF } from "./stream/queue";

export const FILTER_VERSION = "0.1.0";
const TICK_MS: u32 = 200;
// The stream opens on the first tick, not in on_configure: Envoy also runs on_configure in a
// throw-away canary VM, whose timer never fires — so only worker VMs connect and say Hello.
const FIRST_TICK_MS: u32 = 10;
const STATS_EVERY_TICKS: i32 = 50; // 10 s
const MAX_CONFIG_BYTES: u32 = 8 * 1024 * 1024;

let metricsDefined = false;

export class Root extends StreamOwner {
  staticConfig: Config = new Config();   // ROLE_NONE until configured
  config: Config = new Config();
  configVersion: string = "";
  stream: StreamClient | null = null;
  nodeId: string = "";
  workload: string = "";
  version: string = "";
  plugin: string = "";   // plugin_name: tells this plugin's stream from the proxy's other Shadowguard plugins
  worker: u32 = 0;
  private ticks: i32 = 0;
  private tickPeriod: u32 = 0;
  private workerAssigned: bool = false;
  warnedDirection: bool = false;

  constructor(public id: u32) { super(); }

  rootId(): u32 { return this.id; }

  onVmStart(): bool {
    if (!metricsDefined) { metrics.define(); metricsDefined = true; }
    return true;
  }

  onConfigure(size: u32): bool {
    if (!metricsDefined) { metrics.define(); metricsDefined = true; }
    let text = "";
    if (size > 0) {
      if (size > MAX_CONFIG_BYTES) { log(LOG_ERROR, "shadowguard: configuration rejected: (document): larger than 8 MiB"); return false; }
      const b = getBuffer(PLUGIN_CONFIGURATION, 0, size);
      if (b === null) { log(LOG_ERROR, "shadowguard: configuration rejected: cannot read the plugin configuration"); return false; }
      text = String.UTF8.decode(b).trim();
    }
    if (text.length == 0) {
      log(LOG_WARN, "shadowguard: empty configuration: fail-safe mode (no sampling, no reporting; outbound calls carrying shadow markers are denied)");
      this.staticConfig = new Config();
      this.config = this.staticConfig;
      this.stopStream();
      return true;
    }
    const r = parseConfig(text);
    const cfg = r.config;
    if (cfg === null) {
      log(LOG_ERROR, "shadowguard: configuration rejected: " + r.error);
      inc(metrics.configsRejected);
      return false;
    }
    this.staticConfig = cfg;
    this.config = cfg;
    this.configVersion = "";
    inc(metrics.configsAccepted);
    this.readIdentity();
    this.stopStream();
    const cp = cfg.controlPlane;
    if (cp !== null) {
      this.stream = new StreamClient(cp, this);
      this.tickPeriod = FIRST_TICK_MS;
      setTickPeriod(FIRST_TICK_MS);
    }
    log(LOG_INFO, "shadowguard: configured role=" + cfg.roleName + " service=" + cfg.service);
    return true;
  }

  private stopStream(): void {
    const s = this.stream;
    if (s !== null) s.cancel();
    this.stream = null;
  }

  private readIdentity(): void {
    this.nodeId = getPropertyString("xds\0node\0id");
    this.workload = getPropertyString("xds\0node\0metadata\0WORKLOAD_NAME");
    if (this.workload.length == 0) this.workload = this.nodeId;
    this.plugin = getPropertyString("plugin_name");
    // The workload's version for the control plane's runs (a new candidate version starts a new
    // report): Istio copies pod labels into node metadata LABELS; the first label set wins.
    this.version = getPropertyString("xds\0node\0metadata\0LABELS\0version");
    if (this.version.length == 0) this.version = getPropertyString("xds\0node\0metadata\0LABELS\0app.kubernetes.io/version");
    if (this.version.length > 128) this.version = this.version.substring(0, 128);
  }

  onTick(): void {
    const s = this.stream;
    if (s === null) return;
    if (this.tickPeriod != TICK_MS) { this.tickPeriod = TICK_MS; setTickPeriod(TICK_MS); }
    s.onTick(nowMs());
    if (++this.ticks >= STATS_EVERY_TICKS) { this.ticks = 0; s.sendStats(); }
  }

  hello(): Hello {
    if (!this.workerAssigned) { this.worker = nextWorkerIndex(); this.workerAssigned = true; }
    const h = new Hello();
    const cfg = this.staticConfig;
    h.nodeId = this.nodeId;
    h.workload = this.workload;
    h.version = this.version;
    h.service = cfg.service;
    h.role = cfg.role;
    h.variant = cfg.variant;
    h.filterVersion = FILTER_VERSION;
    h.configVersion = this.configVersion;
    h.worker = this.worker;
    h.plugin = this.plugin;
    return h;
  }

  // A pushed ConfigSnapshot: apply + Ack, or Nack naming the field and keep the last good config.
  onSnapshot(snap: ConfigSnapshot): void {
    const r = parseConfig(snap.configJson);
    let reason = r.error;
    const cfg = r.config;
    if (cfg !== null) reason = identityConflict(this.staticConfig, cfg);
    const m = new FilterMessage();
    if (cfg === null || reason.length > 0) {
      inc(metrics.configsRejected);
      log(LOG_WARN, "shadowguard: config " + snap.version + " rejected: " + reason);
      const n = new Nack();
      n.version = snap.version;
      n.reason = reason;
      m.nack = n;
    } else {
      cfg.adoptIdentity(this.staticConfig);
      this.config = cfg;
      this.configVersion = snap.version;
      inc(metrics.configsAccepted);
      log(LOG_INFO, "shadowguard: config " + snap.version + " applied");
      const a = new Ack();
      a.version = snap.version;
      m.ack = a;
    }
    const s = this.stream;
    if (s !== null) s.control(m);
  }

  onReconnect(): void { inc(metrics.streamReconnects); }

  onDelivery(acknowledged: u64, resent: u64): void {
    if (acknowledged > 0) incrementMetric(metrics.reportsAcknowledged, <i64>acknowledged);
    if (resent > 0) incrementMetric(metrics.reportsResent, <i64>resent);
  }

  onDropped(kind: u8, count: u64): void {
    incrementMetric(kind == KIND_HALF ? metrics.halvesDropped : metrics.eventsDropped, <i64>count);
  }

  get unconfigured(): bool { return this.config.role == ROLE_NONE; }
}

export function nowMs(): i64 { return <i64>(nowNanos() / 1000000); }

// Hello.worker: a counter in shared data, bumped with CAS at the first Hello (worker VMs only: the
// canary never connects). Shared data is per vm_id, so this is NOT a worker-thread index: every
// plugin sharing the vm_id draws from the same counter (the numbers are unique among them, not
// 0..workers-1 per plugin), and reloaded plugins draw new numbers. Hello.plugin + worker, with the
// node id, is what tells one filter VM's stream from another.
function nextWorkerIndex(): u32 {
  const key = String.UTF8.encode("shadowguard.worker.seq");
  const out = new ArrayBuffer(4);
  for (let i = 0; i < 16; i++) {
    const cur = sharedGet(key);
    const n: u32 = cur !== null && cur.byteLength == 4 ? load<u32>(changetype<usize>(cur)) : 0;
    const cas = cur !== null ? lastCas : 0;
    store<u32>(changetype<usize>(out), n + 1);
    if (sharedSet(key, out, cas) == OK) return n;
  }
  return 0;
}
