// @cleardit/tensor/node: what needs Node (Dawn adapters, the file system).
export { createDevice, probeAdapters, ADAPTER_KINDS, SWIFTSHADER_ICDS, type AdapterProbe, type AdapterKind, type CreateDeviceOptions } from './adapter.js';
export { FileSource, writeSafetensorsFile, type WriteSafetensorsOptions } from './files.js';
export { saveCheckpointFile, loadCheckpointFile } from './checkpoint.js';
export { writeFileAtomic, OutputExistsError, FileWriteError, type WriteAtomicOptions } from './atomic.js';
