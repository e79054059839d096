import { Option, type Command } from '@commander-js/extra-typings';
import { collect, contextOption, outputOption, targetEnvOption } from '../cli/options.js';

/** `qctl load`: open-loop load at a fixed rate (or a ramp), judged by SLO expressions. */
function declare(program: Command) {
  return (
    program
      .command('load')
      .description(
        'Open-loop load check: send requests on a fixed schedule, measure latency from the scheduled send time, judge by --slo (exit 0 pass, 1 breached, 2 bad usage).',
      )
      .argument('[url]', 'target URL (default: the --env ingress, else http://127.0.0.1:$PORT or :8080, what `qctl dev` serves)')
      .addOption(targetEnvOption())
      .option('--rate <n>', 'requests per second', '50')
      .option('--duration <d>', 'how long to send (each ramp step, unless the ramp gives its own)', '30s')
      .option(
        '--scenario <quotes|FILE>',
        'quotes (list/get/authors/search mix) or a targets file; default: quotes without a URL, else GET the URL',
      )
      .option('--mix <weights>', 'quotes scenario weights, e.g. list=3,get=4,authors=1,search=2')
      .option('--method <method>', 'HTTP method for a plain URL target', 'GET')
      .option('--header <header>', 'request header "Name: value" (repeatable)', collect, [] as string[])
      .option('--body <text>', 'request body for a plain URL target')
      .option(
        '--max-inflight <n>',
        'cap on requests in flight (and connections); a request due at the cap waits --send-grace for a slot, then counts as dropped',
        '1000',
      )
      .option(
        '--send-grace <d>',
        'how long a request due at the in-flight cap may wait for a free slot before it counts as dropped',
        '20ms',
      )
      .option('--timeout <d>', 'per-request timeout, counted from the scheduled send time', '2s')
      .option('--slo <expressions>', 'e.g. "p99<250ms,p50<50ms,errors<0.1%,rate>=0.99"')
      .option('--ramp <start:end:step[:stepDuration]>', 'step the rate and report the highest step that met the SLO (the knee)')
      .option(
        '--workers <n>',
        'send from N workers (threads; pods with --in-cluster), each 1/N of the rate, merged into one report (default: from the cores and the rate, see docs/load.md; 1 pod in-cluster)',
      )
      .option(
        '--in-cluster',
        "with --env: run the workers as an Indexed Job in the environment's namespace, sending to the API Service directly",
      )
      .option('--image <ref>', "with --in-cluster: the worker image (default: the API image's repository with a -load suffix, same tag)")
      .option(
        '--start-delay <d>',
        "with --in-cluster: from creating the Job to the workers' shared first send (scheduling, image pulls; default 30s)",
      )
      .option('--dry-run', 'with --in-cluster: print the Job and its NetworkPolicies instead of running them')
      .option('--port-forward', 'with --env: reach the API through a port-forward instead of the ingress')
      .option('--watch-hpa', 'with --env: sample the API HPA and ready replicas during the run')
      .option('--hpa-interval <d>', 'how often --watch-hpa samples', '5s')
      .addOption(contextOption())
      // The old name, kept so existing scripts keep working; every other command says --context.
      .addOption(new Option('--kube-context <name>').hideHelp())
      .addOption(outputOption())
      .option('--report <file.html>', 'also write a self-contained HTML report with charts')
      .option('--yes', 'confirm a target that is not a local address')
  );
}

export function register(program: Command): void {
  declare(program).action(async (url, { kubeContext, ...options }) => {
    const { runLoadCommand } = await import('../load/command.js');
    if (kubeContext !== undefined) process.stderr.write('qctl load: --kube-context is deprecated; use --context\n');
    const { parseEnv } = await import('../cli/env.js');
    // --env is checked here, once; the engine receives the environment's name.
    const env = options.env === undefined ? undefined : parseEnv(options.env);
    await runLoadCommand(url, { ...options, env, context: options.context ?? kubeContext });
  });
}
