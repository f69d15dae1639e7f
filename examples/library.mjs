// The library example: launch a task from code and await its result.
//   npm install && node examples/library.mjs
import { JobFailedError, Resources, Task, launch } from 'konduktor';

const task = new Task({
  name: 'library-example',
  run: `echo '{"val_loss": 0.123}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
});
task.setResources(new Resources({ cpus: 1, memory: 1 }));

const job = await launch(task);
console.error(`launched ${job}`);
try {
  const value = await job.result({ timeout: '1m' });
  console.log(JSON.stringify(value));
} catch (error) {
  if (error instanceof JobFailedError) console.error(`failed: ${error.reason}`);
  throw error;
}
