// envoy.filters.http.wasm as one link of a stream's filter chain: what the filter before it (or the
// downstream) decodes goes into the host's HttpStream; what the HttpStream passes on ('forward'
// events: after continue, after buffering, after a paused stream resumes) goes to the next decoder
// (another wasm link or the router); responses flow back the same way. Local replies of the filter
// come out as response 'forward' events too, because the host runs them through the filter's own
// encode callbacks as Envoy does (reference §5.6/§5.10).

import type { HttpStream, ForwardEvent } from '../host/index.js';
import { sameHeaders } from './route-cache.js';
import type { Encoder } from './router.js';
import type { HeaderList } from './routing.js';

export interface Decoder {
  decodeHeaders(headers: HeaderList, endStream: boolean): void;
  decodeData(data: Buffer, endStream: boolean): void;
  decodeTrailers(trailers: HeaderList): void;
}

export class WasmLink implements Decoder, Encoder {
  next!: Decoder;
  prev!: Encoder;
  private requestIn: HeaderList = [];

  constructor(
    readonly stream: HttpStream,
    onReset: (details: string) => void,
    /** Called when the filter changed the request headers and its ABI makes Envoy clear the route cache. */
    private readonly onRequestHeadersChanged: () => void = () => {},
  ) {
    stream.on('forward', (ev: ForwardEvent) => this.forward(ev));
    // close_stream from the module, or a local reply after the response started: the stream is reset.
    stream.on('reset', (details: string) => onReset(details));
  }

  decodeHeaders(h: HeaderList, end: boolean): void {
    this.requestIn = h.map(([k, v]) => [k, v] as [string, string]);
    this.stream.sendRequestHeaders(h, end);
  }
  decodeData(d: Buffer, end: boolean): void {
    this.stream.sendRequestBody(d, end);
  }
  decodeTrailers(t: HeaderList): void {
    this.stream.sendRequestTrailers(t);
  }
  encodeHeaders(h: HeaderList, end: boolean): void {
    this.stream.sendResponseHeaders(h, end);
  }
  encodeData(d: Buffer, end: boolean): void {
    this.stream.sendResponseBody(d, end);
  }
  encodeTrailers(t: HeaderList): void {
    this.stream.sendResponseTrailers(t);
  }

  private forward(ev: ForwardEvent): void {
    if (ev.direction === 'request') {
      if (ev.kind === 'headers') {
        if (!sameHeaders(this.requestIn, ev.headers!)) this.onRequestHeadersChanged();
        this.next.decodeHeaders(ev.headers!, ev.endOfStream);
      } else if (ev.kind === 'data') this.next.decodeData(ev.data!, ev.endOfStream);
      else this.next.decodeTrailers(ev.headers!);
    } else if (ev.kind === 'headers') this.prev.encodeHeaders(ev.headers!, ev.endOfStream);
    else if (ev.kind === 'data') this.prev.encodeData(ev.data!, ev.endOfStream);
    else this.prev.encodeTrailers(ev.headers!);
  }
}
