// The models' own error for a configuration that cannot describe a model (a checkpoint's
// __metadata__.config, or one written by hand). Stable name: 'ConfigError'.
import { InputError } from '@cleardit/tensor';

export class ConfigError extends InputError {
  override name = 'ConfigError';
}
