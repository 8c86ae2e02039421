// `/datasets/<id>/experiments`, the dataset's default tab. A placeholder until the experiments
// list (issue 15's experiment pages) takes this file's place.
import { EmptyState } from "../components/States";

export default function DatasetExperimentsPage() {
  return (
    <EmptyState title="Experiments">
      Run an experiment over this dataset with <code>run_experiment(...)</code> from{" "}
      <code>arize-phoenix-client</code>; its results will be listed here.
    </EmptyState>
  );
}
