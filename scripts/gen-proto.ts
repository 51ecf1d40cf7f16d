// Generates the filter's AssemblyScript protobuf classes from proto/shadow/v1/shadow.proto with
// as-proto-gen (as-proto's own generator), so the filter and the control plane share one contract.
// as-proto-gen is a protoc plugin; protoc is not an npm package, so this script plays protoc's part:
// protobufjs parses the .proto into a FileDescriptorProto and the plugin gets a CodeGeneratorRequest
// on stdin, exactly as protoc would send it. Output: build/proto/ (not committed; `npm run build:wasm`
// runs this first).
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import 'protobufjs/ext/descriptor/index.js';

const require = createRequire(import.meta.url);
const { FileDescriptorSet } = require('google-protobuf/google/protobuf/descriptor_pb');
const { CodeGeneratorRequest, CodeGeneratorResponse } = require('google-protobuf/google/protobuf/compiler/plugin_pb');

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const PROTO = 'shadow/v1/shadow.proto';
const OUT = join(repo, 'build', 'proto');

const root = new protobuf.Root();
root.loadSync(join(repo, 'proto', PROTO), { keepCase: true });
const set = (
  root as unknown as { toDescriptor(s: string): { constructor: { encode(m: unknown): { finish(): Uint8Array } } } }
).toDescriptor('proto3');
const fds = FileDescriptorSet.deserializeBinary(set.constructor.encode(set).finish());
const file = fds.getFileList()[0];
const pkg: string = file.getPackage();

// protoc's conventions that protobufjs's descriptor export does not follow: the file is named by its
// path, type names are fully qualified with a leading dot, and a field outside any oneof has no index.
file.setName(PROTO);
for (const message of file.getMessageTypeList()) {
  const hasOneof = message.getOneofDeclList().length > 0;
  for (const field of message.getFieldList()) {
    const t: string = field.getTypeName();
    if (t && !t.startsWith('.')) field.setTypeName(`.${pkg}.${t}`);
    if (!hasOneof) field.clearOneofIndex();
  }
}

const request = new CodeGeneratorRequest();
request.setFileToGenerateList([PROTO]);
request.setProtoFileList([file]);
const run = spawnSync(join(repo, 'node_modules', '.bin', 'as-proto-gen'), [], {
  input: Buffer.from(request.serializeBinary()),
});
if (run.status !== 0) throw new Error(`as-proto-gen failed: ${run.stderr.toString()}${run.stdout.toString()}`);
const response = CodeGeneratorResponse.deserializeBinary(new Uint8Array(run.stdout));
if (response.getError()) throw new Error(`as-proto-gen: ${response.getError()}`);

rmSync(OUT, { recursive: true, force: true });
for (const out of response.getFileList()) {
  const path = join(OUT, out.getName());
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, out.getContent());
}
console.log(`as-proto-gen: ${response.getFileList().length} files in build/proto/`);
