/**
 * The zod schema of a task in its YAML form (snake_case keys), the one set of rules shared by task
 * files, {@link Task} objects and command-line overrides.
 *
 * Parsing with {@link TaskSchema} yields a {@link TaskSpec} whose `workdir` and `fileMounts` paths
 * are still as written; the loader resolves them and checks that they exist, because that needs a
 * base directory and the file system.
 *
 * @example
 * ```ts
 * import { TaskSchema } from './schema.js';
 *
 * const result = TaskSchema.safeParse({ name: 'train', run: 'python train.py', num_nodes: 2 });
 * if (result.success) console.log(result.data.numNodes); // 2
 * ```
 * @module
 */
import { z } from 'zod';
import { describeValue } from '../diagnostics/issue.js';
import { labelKeyProblem, labelValueProblem } from './k8s-names.js';
import { TASK_NAME_MAX_LENGTH, TASK_NAME_PATTERN, taskNameProblem } from './names.js';
import { checkedWith, parsedWith } from '../diagnostics/zod.js';
import { quantity, wholeNumber } from './quantity.js';
import { isS3Url, RESERVED_ENV_NAMES } from './types.js';

export { TASK_NAME_MAX_LENGTH, TASK_NAME_PATTERN, taskNameProblem };
import type { AcceleratorSpec, ResourcesSpec, TaskSpec } from './types.js';

/** A valid environment variable name. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

const RESERVED = new Set<string>(RESERVED_ENV_NAMES);

function lastKey(path: readonly PropertyKey[] | undefined): string {
  const key = path?.at(-1);
  return typeof key === 'string' ? key : 'KEY';
}

/**
 * Parses an accelerator request, `NAME` or `NAME:COUNT`; returns the problem as a string.
 *
 * @example
 * ```ts
 * parseAccelerators('H100:8'); // { name: 'H100', count: 8 }
 * parseAccelerators('H100:0'); // 'asks for 0 accelerators; …'
 * ```
 */
export function parseAccelerators(text: string): AcceleratorSpec | string {
  const value = text.trim();
  const noneHint = 'remove the field (or pass --gpus none) to request no accelerators';
  if (value === '' || value.toLowerCase() === 'none') {
    return `${JSON.stringify(text)} is not an accelerator; ${noneHint}`;
  }
  const match = /^([^:]*)(?::(.*))?$/s.exec(value);
  const name = (match?.[1] ?? '').trim();
  const count = match?.[2]?.trim();
  if (/^\d+$/.test(name) && count === undefined) {
    return `${JSON.stringify(text)} is a count without a name; write NAME:COUNT, e.g. H100:${name}`;
  }
  if (!/^[A-Za-z][A-Za-z0-9._-]*$/.test(name)) {
    return (
      `${JSON.stringify(text)} is not a valid accelerator: write NAME or NAME:COUNT, ` +
      `e.g. H100 or H100:8`
    );
  }
  if (count === undefined) return { name, count: 1 };
  if (!/^\d+$/.test(count)) {
    return `the count in ${JSON.stringify(text)} must be a whole number of at least 1, e.g. ${name}:8`;
  }
  const n = Number(count);
  if (n === 0) return `${JSON.stringify(text)} asks for 0 accelerators; ${noneHint}`;
  if (!Number.isSafeInteger(n)) return `the count in ${JSON.stringify(text)} is too large`;
  return { name, count: n };
}

/** The problem with the remote side of a file mount, or undefined when it is valid. */
function remotePathProblem(remote: string): string | undefined {
  if (remote.trim() === '') return 'a file mount needs a remote path; it must not be empty';
  if (remote.split(/[/\\]/).includes('..')) {
    return `remote path ${JSON.stringify(remote)} must not contain '..' segments`;
  }
  return undefined;
}

const nameSchema = z
  .string({
    error: (iss) =>
      iss.input === undefined
        ? "missing required field 'name': the job name prefix, e.g. name: my-job"
        : `must be a string such as my-job, got ${describeValue(iss.input)}`,
  })
  .superRefine(checkedWith(taskNameProblem));

function script(field: 'run' | 'setup') {
  const purpose =
    field === 'run' ? 'the bash script to run on every node' : 'the bash script to run before run';
  return z
    .string({
      error: (iss) => {
        if (iss.input === undefined) return `missing required field 'run': ${purpose}`;
        if (iss.input === null) return `is empty; give ${purpose}`;
        const several = Array.isArray(iss.input)
          ? `; to run several commands write a block, "${field}: |", followed by indented lines`
          : typeof iss.input === 'object'
            ? `; in YAML a value starting with '{' is a mapping: quote the command or write it ` +
              `as a block, "${field}: |", with the command on the next line, indented`
            : '';
        return `must be a string (${purpose}), got ${describeValue(iss.input)}${several}`;
      },
    })
    .superRefine((text, ctx) => {
      if (field === 'run' && text.trim() === '') {
        ctx.addIssue({ code: 'custom', message: `is empty; give ${purpose}`, input: text });
      }
    });
}

const envKeySchema = z.string().superRefine((key, ctx) => {
  if (!ENV_NAME_PATTERN.test(key)) {
    ctx.addIssue({
      code: 'custom',
      input: key,
      message:
        `${JSON.stringify(key)} is not a valid environment variable name: use letters, digits ` +
        "and '_', not starting with a digit",
    });
  } else if (RESERVED.has(key)) {
    ctx.addIssue({
      code: 'custom',
      input: key,
      message:
        `${key} is reserved: konduktor sets it on every node (reserved names: ` +
        `${RESERVED_ENV_NAMES.join(', ')})`,
    });
  }
});

const envValueSchema = z
  .union([z.string(), z.number(), z.boolean()], {
    error: (iss) => {
      const key = lastKey(iss.path);
      if (iss.input === null || iss.input === undefined) {
        return (
          `${key} has no value; to set it to an empty string write ${key}: "" in the task ` +
          `file or pass --env ${key}=`
        );
      }
      return `${key} must be a string, number or boolean, got ${describeValue(iss.input)}`;
    },
  })
  .transform((value) => String(value))
  // The process environment cannot carry one, and konduktor's records are NUL-separated.
  .refine((value) => !value.includes('\u0000'), {
    error: 'an environment variable cannot hold a NUL character (\\0); remove it',
  });

const envsSchema = z.record(envKeySchema, envValueSchema, {
  error: (iss) =>
    iss.code === 'invalid_type'
      ? `must be a mapping of NAME: value, got ${describeValue(iss.input)}` +
        (Array.isArray(iss.input) ? '; write "FOO: bar" rather than "- FOO=bar"' : '')
      : undefined,
});

const optionalPath = (what: string) =>
  z
    .string({ error: (iss) => `must be a string (${what}), got ${describeValue(iss.input)}` })
    .superRefine((path, ctx) => {
      if (path.trim() === '') {
        ctx.addIssue({ code: 'custom', message: `must not be empty (${what})`, input: path });
      }
    });

const acceleratorsSchema = z
  .string({
    error: (iss) =>
      `must be NAME or NAME:COUNT as one string, e.g. accelerators: H100:8, got ` +
      describeValue(iss.input),
  })
  .transform(parsedWith(parseAccelerators));

const imageIdSchema = z
  .string({
    error: (iss) =>
      `must be a container image reference such as ubuntu:24.04, got ${describeValue(iss.input)}`,
  })
  .superRefine((image, ctx) => {
    if (image.trim() === '') {
      ctx.addIssue({ code: 'custom', message: 'must not be empty', input: image });
    } else if (/\s/.test(image)) {
      ctx.addIssue({
        code: 'custom',
        message: `${JSON.stringify(image)} is not an image reference: it contains whitespace`,
        input: image,
      });
    }
  });

const labelsSchema = z.record(
  z.string().superRefine(checkedWith(labelKeyProblem)),
  z
    .string({
      error: (iss) => {
        const key = lastKey(iss.path);
        const shown =
          typeof iss.input === 'number' || typeof iss.input === 'boolean'
            ? String(iss.input)
            : '...';
        return (
          `label ${JSON.stringify(key)} must have a string value, got ` +
          `${describeValue(iss.input)}; quote it: ${key}: "${shown}"`
        );
      },
    })
    .superRefine(checkedWith(labelValueProblem)),
  {
    error: (iss) =>
      iss.code === 'invalid_type'
        ? `must be a mapping of label: "value", got ${describeValue(iss.input)}`
        : undefined,
  },
);

const jobConfigSchema = z.strictObject(
  {
    max_restarts: wholeNumber(0).nullish(),
    // The local backend's queue order: higher first, FIFO within a priority.
    priority: z
      .number({
        error: (iss) =>
          `must be a whole number (higher runs first), got ${describeValue(iss.input)}`,
      })
      .int({
        error: (iss) =>
          `must be a whole number (higher runs first), got ${describeValue(iss.input)}`,
      })
      .nullish(),
  },
  {
    error: (iss) =>
      iss.code === 'invalid_type'
        ? `must be a mapping such as {max_restarts: 2}, got ${describeValue(iss.input)}`
        : undefined,
  },
);

const resourcesShape = {
  cpus: quantity('cpus').nullish(),
  memory: quantity('memory').nullish(),
  accelerators: acceleratorsSchema.nullish(),
  image_id: imageIdSchema.nullish(),
  labels: labelsSchema.nullish(),
  job_config: jobConfigSchema.nullish(),
};

const resourcesSchema = z.strictObject(resourcesShape, {
  error: (iss) =>
    iss.code === 'invalid_type'
      ? `must be a mapping with some of ${Object.keys(resourcesShape).join(', ')}; got ` +
        describeValue(iss.input)
      : undefined,
});

const fileMountsSchema = z.record(
  z.string().superRefine(checkedWith(remotePathProblem)),
  z
    .string({
      error: (iss) => {
        const remote = lastKey(iss.path);
        return iss.input === null || iss.input === undefined
          ? `no local source for ${JSON.stringify(remote)}; write "${remote}: ./local/path"`
          : `the local source for ${JSON.stringify(remote)} must be a path, got ` +
              describeValue(iss.input);
      },
    })
    .superRefine((local, ctx) => {
      if (local.trim() === '') {
        ctx.addIssue({
          code: 'custom',
          message: 'the local source must not be empty',
          input: local,
        });
      } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(local) && !isS3Url(local)) {
        ctx.addIssue({
          code: 'custom',
          input: local,
          message: `${JSON.stringify(local)} is a URL; only local files and directories, and s3://BUCKET/KEY objects (Kubernetes), can be mounted`,
        });
      }
    }),
  {
    error: (iss) =>
      iss.code === 'invalid_type'
        ? `must be a mapping of remote_path: local_path, got ${describeValue(iss.input)}`
        : undefined,
  },
);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The schema of a task in YAML form. Unknown keys are errors at every level; optional fields may be
 * null (an empty YAML value), which means "not given". The output is a {@link TaskSpec} whose
 * paths are not yet resolved.
 */
export const TaskSchema = z
  .strictObject(
    {
      name: nameSchema,
      run: script('run'),
      setup: script('setup').nullish(),
      envs: envsSchema.nullish(),
      workdir: optionalPath('a local directory').nullish(),
      num_nodes: wholeNumber(1).nullish(),
      resources: resourcesSchema.nullish(),
      file_mounts: fileMountsSchema.nullish(),
    },
    {
      error: (iss) =>
        iss.code === 'invalid_type'
          ? iss.input === null || iss.input === undefined
            ? "the task is empty; it needs at least 'name' and 'run'"
            : `a task must be a mapping with at least 'name' and 'run', got ${describeValue(iss.input)}`
          : undefined,
    },
  )
  .transform((task): TaskSpec => {
    const r = task.resources;
    const resources: Mutable<ResourcesSpec> = {
      labels: r?.labels ?? {},
      maxRestarts: r?.job_config?.max_restarts ?? 0,
    };
    if (r?.cpus != null) resources.cpus = r.cpus;
    if (r?.memory != null) resources.memory = r.memory;
    if (r?.accelerators != null) resources.accelerators = r.accelerators;
    if (r?.image_id != null) resources.imageId = r.image_id;
    if (r?.job_config?.priority != null) resources.priority = r.job_config.priority;
    const spec: Mutable<TaskSpec> = {
      name: task.name,
      run: task.run,
      envs: task.envs ?? {},
      numNodes: task.num_nodes ?? 1,
      resources,
      fileMounts: task.file_mounts ?? {},
    };
    if (task.setup != null) spec.setup = task.setup;
    if (task.workdir != null) spec.workdir = task.workdir;
    return spec;
  });

/** A task in YAML form (snake_case), as accepted by {@link TaskSchema}. */
export type TaskYaml = z.input<typeof TaskSchema>;
