import { createDevice } from '@cleardit/tensor/node';
const d = await createDevice({ adapter: process.argv[2] ?? 'llvmpipe' });
console.log(d.adapter);
const l = d.limits as any;
for (const k of ['maxTextureDimension2D','maxStorageTexturesPerShaderStage','maxSampledTexturesPerShaderStage','maxStorageBufferBindingSize','maxStorageTexturesInFragmentStage']) console.log(k, l[k]);
console.log([...d.features]);
process.exit(0);
