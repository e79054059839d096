import { ApiObject, App, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { EnvironmentName } from './environments.js';
import { ExtensionChart, EXTENSIONS_FILE } from './extension.js';
import { PHASE_ANNOTATION, placedPhase } from './phases.js';

const FILE_NAME = /^[0-9]{2}-[a-z0-9][a-z0-9-]*\.yaml$/;

/**
 * The output files of one environment. A stack asks for the file its objects belong in
 * (`scope.file('40-quote-api.yaml')`) and gets a cdk8s Chart; files are written in file-name
 * order, and the two-digit prefix names the deploy phase of its objects (phases.ts):
 *   00 namespace · 05 service accounts · 10 config · 15 network policies · 20 postgres ·
 *   25 redis · 30 migration job · 40 api · 60-69 monitoring · 90 seed job
 * Every object leaves with its phase as the annotation `qctl.dev/phase`, which is all the
 * deploy engine reads to order it.
 */
export class ManifestScope {
  readonly app: App;
  private readonly charts = new Map<string, Chart>();

  constructor(outdir?: string) {
    // cdk8s' own output settings matter only for `cdk8s synth`; qctl writes files itself.
    this.app = new App({ outdir: outdir ?? 'dist', outputFileExtension: '.yaml' });
  }

  file(name: string): Chart {
    if (!FILE_NAME.test(name)) throw new Error(`manifest file name "${name}" must look like 40-quote-api.yaml`);
    let chart = this.charts.get(name);
    if (!chart) {
      chart = new PhasedChart(this.app, name.replace(/\.yaml$/, ''), name);
      this.charts.set(name, chart);
    }
    return chart;
  }

  /** The chart of a user's extension (infra/extension.ts), file 50-extensions.yaml; one per scope. */
  extensionChart(env: EnvironmentName, namespace: string): Chart {
    if (this.charts.has(EXTENSIONS_FILE)) throw new Error(`${EXTENSIONS_FILE} exists already`);
    const chart = new ExtensionChart(this.app, env, namespace);
    this.charts.set(EXTENSIONS_FILE, chart);
    return chart;
  }

  /** The files in apply order, each with its objects as plain JSON. */
  toFiles(): Array<{ name: string; objects: KubeObject[] }> {
    return [...this.charts.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, chart]) => ({ name, objects: chart.toJson() as KubeObject[] }))
      .filter((file) => file.objects.length > 0);
  }
}

/**
 * A chart that stamps each of its objects with its deploy phase when rendered, so that both
 * qctl's own writer (toFiles) and `cdk8s synth` (App.synth) emit the annotation.
 */
class PhasedChart extends Chart {
  constructor(
    scope: Construct,
    id: string,
    private readonly fileName: string,
  ) {
    // Chart ids become cdk8s' own file names under `cdk8s synth`.
    super(scope, id, { disableResourceNameHashes: true });
  }

  override toJson(): unknown[] {
    for (const child of this.node.findAll()) {
      if (child instanceof ApiObject) child.metadata.addAnnotation(PHASE_ANNOTATION, placedPhase(child.kind, this.fileName));
    }
    return super.toJson();
  }
}

/** A Kubernetes object as plain JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}
