// Custom metrics with Envoy's rules (source/extensions/common/wasm/context.cc): ids are per VM and
// encode the type in their low two bits (counters 4, 8…; gauges 5, 9…; histograms 6, 10…); counters
// only grow (increment needs delta > 0, record adds); gauges add/subtract or are set; histograms only
// record; get on a histogram is BadArgument; an id never defined is NotFound.

import { MetricType, WasmResult as R } from '../abi.js';
import { METRIC_KINDS } from '../metrics.js';
import type { Vm } from '../vm.js';
import type { ImportGroup } from './index.js';

export function metricImports(vm: Vm): ImportGroup {
  const stats = vm.config.host.stats;
  const lookup = (id: number) => vm.metricStats.get(id);
  return {
    proxy_define_metric(type: number, np: number, nl: number, idPtr: number): number {
      if (type >>> 0 > MetricType.Histogram) return R.BadArgument;
      const name = vm.mem.readString(np, nl);
      if (name === undefined) return R.InvalidMemoryAccess;
      const t = (type >>> 0) as 0 | 1 | 2;
      const stat = stats.define(METRIC_KINDS[t], name);
      const id = vm.nextMetricId(t);
      vm.metricStats.set(id, stat);
      return vm.mem.writeU32(idPtr, id) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_increment_metric(id: number, delta: bigint): number {
      const type = (id >>> 0) & 3;
      if (type === MetricType.Histogram || type === 3) return R.BadArgument;
      const s = lookup(id >>> 0);
      if (!s) return R.NotFound;
      if (type === MetricType.Counter && delta <= 0n) return R.BadArgument;
      s.value += delta;
      return R.Ok;
    },
    proxy_record_metric(id: number, value: bigint): number {
      const s = lookup(id >>> 0);
      if (!s) return R.NotFound;
      const v = BigInt.asUintN(64, value);
      const type = (id >>> 0) & 3;
      if (type === MetricType.Counter) s.value += v;
      else if (type === MetricType.Gauge) s.value = v;
      else s.samples.push(v);
      return R.Ok;
    },
    proxy_get_metric(id: number, retPtr: number): number {
      const type = (id >>> 0) & 3;
      if (type === MetricType.Histogram || type === 3) return R.BadArgument;
      const s = lookup(id >>> 0);
      if (!s) return R.NotFound;
      return vm.mem.writeU64(retPtr, s.value) ? R.Ok : R.InvalidMemoryAccess;
    },
  };
}
