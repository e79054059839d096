import { App, Chart } from 'cdk8s';

const FILE_NAME = /^[0-9]{2}-[a-z0-9][a-z0-9-]*\.yaml$/;

/**
 * The output files of one environment. A stack asks for the file its objects belong in
 * (`scope.file('40-quote-api.yaml')`) and gets a cdk8s Chart; files are written and applied
 * in file-name order, so the two-digit prefix is the apply order:
 *   00 namespace · 05 service accounts · 10 config · 15 network policies · 20 postgres ·
 *   25 redis · 30 migration job · 40 api · 60-69 monitoring · 90 seed job
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
      // Chart ids become cdk8s' own file names under `cdk8s synth`.
      chart = new Chart(this.app, name.replace(/\.yaml$/, ''), { disableResourceNameHashes: true });
      this.charts.set(name, chart);
    }
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
