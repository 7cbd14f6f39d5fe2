import { declareParallel } from '../../../lib/parallel/capabilities.js';
import { defineStage } from '../../../lib/core/stage.js';

/**
 * A stage known only to the specs: it writes names in capitals. It declares its records
 * independent, from its own module, so a parallel run's workers can load it from there.
 */
const shout = defineStage<Record<string, never>>({
  name: 'shout',
  kind: 'transform',
  summary: 'Writes names in capitals.',
  options: {},
  create() {
    return (record) => {
      if (typeof record.name === 'string') record.name = record.name.toUpperCase();
      return record;
    };
  },
});

export default shout;

declareParallel(shout, { module: import.meta.url, independent: true });
