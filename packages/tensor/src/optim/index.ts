// Optimizers, clipping, schedules and checkpoints for training on the GPU.
export { Optimizer, namedParams, type NamedParams, type OptimizerOptions, type Schedule } from './optimizer.js';
export { AdamW, type AdamWOptions } from './adamw.js';
export { Prodigy, type ProdigyOptions } from './prodigy.js';
export { clipGradNorm } from './clip.js';
export { constantSchedule, linearWarmup, warmupCosine } from './schedule.js';
export { checkpointTensors, loadCheckpoint, CHECKPOINT_METADATA_KEY, type Checkpoint } from './checkpoint.js';
