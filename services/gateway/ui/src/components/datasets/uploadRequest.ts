// The upload itself: a multipart POST to `/v1/datasets/upload`, the REST door Phoenix's UI and
// client use too. XMLHttpRequest rather than fetch, for the progress of the request's body.
import { recoverFromUnauthorized, refreshCount } from "../../api/session";
import type { FileKind, KeyFields } from "./filePreview";

export interface UploadForm {
  name: string;
  description: string;
  file: File;
  kind: FileKind;
  keys: KeyFields;
}

export interface UploadAnswer {
  datasetId: string;
  versionId: string;
  createdExamples: number;
}

/** The server refused the upload (4xx) or failed; `message` is its reason, in its words. */
export class UploadError extends Error {
  readonly status: number;

  constructor(message: string, status: number) {
    super(message);
    this.name = "UploadError";
    this.status = status;
  }
}

/** The reason in an error answer: Phoenix's plain text, or a JSON `detail` (a text or a list of
 * validation errors). */
export function errorMessage(status: number, body: string): string {
  const text = body.trim();
  if (!text) return `The server answered ${status}.`;
  try {
    const parsed = JSON.parse(text) as { detail?: unknown };
    const { detail } = parsed;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail
        .map((item: { msg?: string; loc?: unknown[] }) =>
          item.loc ? `${item.loc.join(".")}: ${item.msg ?? ""}` : (item.msg ?? ""),
        )
        .join("; ");
    }
  } catch {
    // plain text, as Phoenix answers
  }
  return text;
}

/** Sends the form; `onProgress` gets the fraction of the file sent (0 to 1). An expired
 * session is renewed and the form sent once more, as `fetchWithSession` does for other calls. */
export async function uploadDataset(
  form: UploadForm,
  onProgress: (fraction: number) => void,
): Promise<UploadAnswer> {
  const body = new FormData();
  body.set("action", "create");
  body.set("name", form.name.trim());
  if (form.description.trim()) body.set("description", form.description.trim());
  for (const [field, keys] of Object.entries(form.keys) as [string, string[]][]) {
    for (const key of keys) body.append(field, key);
  }
  // The type the server reads the file by, whatever the browser guessed from the name (a `.csv`
  // can come as `application/vnd.ms-excel`); the Blob refers to the file, it copies nothing.
  const type = form.kind === "csv" ? "text/csv" : "application/jsonl";
  body.set("file", new Blob([form.file], { type }), form.file.name);
  const refreshesBefore = refreshCount();
  let answer = await post(body, onProgress);
  if (answer.status === 401 && (await recoverFromUnauthorized(refreshesBefore))) {
    answer = await post(body, onProgress);
  }
  if (answer.status !== 200) {
    throw new UploadError(errorMessage(answer.status, answer.text), answer.status);
  }
  try {
    const { data } = JSON.parse(answer.text) as {
      data: { dataset_id: string; version_id: string; num_created_examples: number };
    };
    return {
      datasetId: data.dataset_id,
      versionId: data.version_id,
      createdExamples: data.num_created_examples,
    };
  } catch {
    throw new UploadError("The server's answer was not the expected JSON.", answer.status);
  }
}

/** One POST of the form: its answer's status and text. */
function post(
  body: FormData,
  onProgress: (fraction: number) => void,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", "/v1/datasets/upload?sync=true");
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onerror = () =>
      reject(new UploadError("Spyglass is unreachable: check that the gateway is running.", 0));
    request.onload = () => resolve({ status: request.status, text: request.responseText });
    request.send(body);
  });
}
