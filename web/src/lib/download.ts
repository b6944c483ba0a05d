/** Saves a fetched response as a file (a plain link could not send the saved credentials). */
export async function saveResponse(res: Response, name: string): Promise<void> {
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
