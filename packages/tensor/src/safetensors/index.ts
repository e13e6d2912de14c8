// The safetensors API: byte sources, header parsing, the tensor-by-tensor reader and the encoder.
// Platform-neutral; the Node file source and atomic file writer are in ../node/files.ts.
export { type ByteSource, BytesSource, BlobSource } from './source.js';
export {
  parseHeader,
  checkHeaderLength,
  SAFETENSORS_DTYPE_BYTES,
  SAFETENSORS_DTYPES,
  SAFETENSORS_MAX_HEADER_BYTES,
  type SafetensorsDType,
  type SafetensorsEntry,
  type SafetensorsHeader,
} from './header.js';
export { SafetensorsReader, storedToFloats, type SafetensorsInfo, type StoredTensor, type ToDeviceOptions } from './reader.js';
export { buildHeader, safetensorsChunks, encodeSafetensors, type TensorToWrite, type LayoutEntry, type BuiltHeader } from './writer.js';
