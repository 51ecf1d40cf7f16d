// One direction (request = decode path, response = encode path) of a stream as Envoy's filter manager
// holds it around our filter: the maps and the body the filter can reach, what was already passed on,
// and where iteration stopped. Also the conversions of module return codes to Envoy filter statuses
// (cpp-host src/context.cc convertVmCallResultTo*, then Envoy context.cc convertFilter*Status).

import { BodyBuffer } from './context.js';
import type { HeaderMap, HeaderList } from './headers.js';
import type { EnvoyFilterStatus } from './abi.js';

export type DirectionName = 'request' | 'response';
export type Iteration = 'continue' | 'stop_headers' | 'stop_all' | 'stop_data' | 'stop_trailers';

export interface ForwardEvent {
  direction: DirectionName;
  kind: 'headers' | 'data' | 'trailers';
  headers?: HeaderList;
  data?: Buffer;
  endOfStream: boolean;
}

export const CALLBACKS = {
  request: {
    headers: 'proxy_on_request_headers',
    body: 'proxy_on_request_body',
    trailers: 'proxy_on_request_trailers',
  },
  response: {
    headers: 'proxy_on_response_headers',
    body: 'proxy_on_response_body',
    trailers: 'proxy_on_response_trailers',
  },
} as const;

export class Direction {
  headers: HeaderMap | undefined;
  trailers: HeaderMap | undefined;
  /** Body Envoy holds for this filter (current chunk, or everything buffered), not yet passed on. */
  readonly body = new BodyBuffer();
  readonly forwarded: Buffer[] = [];
  receivedHeaders = false;
  receivedEnd = false;
  headersForwarded = false;
  endForwarded = false;
  iteration: Iteration = 'continue';
  /** Envoy buffering_{request,response}_body_: the body window shows the whole buffered body. */
  buffering = false;
  /** Arrived while iteration was stopped-all; handed to the filter on continue. */
  pendingData = false;
  pendingTrailers = false;
  /** The filter created trailers from its last body callback (Envoy addDecodedTrailers). */
  trailersAdded = false;
  /** end_of_stream_ of the last callback; trailers can be added only when it was true. */
  endOfStream = false;
  lastStatus: EnvoyFilterStatus | undefined;
  readonly window = { headers: false, body: false, trailers: false };

  constructor(readonly name: DirectionName) {}

  get callbacks() {
    return CALLBACKS[this.name];
  }
  closeWindows(): void {
    this.window.headers = this.window.body = this.window.trailers = false;
  }
  /** Everything of the body the far side will see, passed on or still held. */
  fullBody(): Buffer {
    return Buffer.concat([...this.forwarded, this.body.data]);
  }
}

export function headersStatus(raw: number, stop: boolean, allowStopIteration: boolean): EnvoyFilterStatus {
  if (stop || raw > 4) return 'StopAllIterationAndWatermark';
  if (raw === 1) return allowStopIteration ? 'StopIteration' : 'StopAllIterationAndWatermark'; // cpp-host#143
  if (raw === 3) return 'StopAllIterationAndBuffer';
  if (raw === 4) return 'StopAllIterationAndWatermark';
  return 'Continue'; // 0, and 2 (ContinueAndEndStream) which Envoy's switch maps to Continue
}

export function dataStatus(raw: number, stop: boolean): EnvoyFilterStatus {
  if (stop || raw > 3) return 'StopIterationNoBuffer';
  return (['Continue', 'StopIterationAndBuffer', 'StopIterationAndWatermark', 'StopIterationNoBuffer'] as const)[raw];
}

export function trailersStatus(raw: number, stop: boolean): EnvoyFilterStatus {
  return stop || raw >= 1 ? 'StopIteration' : 'Continue';
}
