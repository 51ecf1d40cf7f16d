// Egress events of the network-filter role (shadow.v1.EgressEvent with protocol set): one per
// connection decision (count 1, no statement class), then per guard the statement counts since the
// last report, by class — read / write / blocked-escape — flushed at most once a second while the
// connection lives and at its close. Samples carry only a leading keyword or command name.
import { NetContext } from "./connection";
import { Guard } from "./guard";
import { nowNanos } from "../host";
import { metrics, inc } from "../metrics";
import { EgressEvent, DECISION_ALLOWED, DECISION_DENIED, DECISION_RATE_LIMITED } from "../stream/messages";
import { FilterMessage } from "../stream/messages";
import { KIND_EVENT } from "../stream/queue";

function base(ctx: NetContext, decision: i32): EgressEvent {
  const cfg = ctx.cfg;
  const ev = new EgressEvent();
  ev.service = cfg.service;
  ev.variant = cfg.variant;
  ev.destination = ctx.destinationText();
  ev.decision = decision;
  ev.rule = ctx.ruleName;
  ev.unixMs = nowNanos() / 1000000;
  ev.nodeId = ctx.root.nodeId;
  ev.protocol = ctx.protocolName();
  return ev;
}

function send(ctx: NetContext, ev: EgressEvent): void {
  const s = ctx.root.stream;
  if (s === null) return;
  const fm = new FilterMessage();
  fm.egress = ev;
  s.report(KIND_EVENT, fm);
}

export function reportConnection(ctx: NetContext, allowed: bool, limited: bool): void {
  if (allowed) inc(metrics.egressAllowed);
  else if (limited) inc(metrics.egressRateLimited);
  else inc(metrics.egressDenied);
  if (ctx.root.stream === null) return;
  const ev = base(ctx, allowed ? DECISION_ALLOWED : limited ? DECISION_RATE_LIMITED : DECISION_DENIED);
  ev.count = 1;
  send(ctx, ev);
}

export function reportCounts(ctx: NetContext, g: Guard): void {
  if (ctx.root.stream !== null) {
    if (g.reads > 0) { const ev = base(ctx, DECISION_ALLOWED); ev.statementClass = "read"; ev.count = g.reads; send(ctx, ev); }
    if (g.writes > 0) { const ev = base(ctx, DECISION_DENIED); ev.statementClass = "write"; ev.count = g.writes; ev.sample = g.lastSample; send(ctx, ev); }
    if (g.escapes > 0) { const ev = base(ctx, DECISION_DENIED); ev.statementClass = "blocked-escape"; ev.count = g.escapes; ev.sample = g.lastSample; send(ctx, ev); }
  }
  g.reads = 0;
  g.writes = 0;
  g.escapes = 0;
}
