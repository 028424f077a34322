// Errors while opening a model: the message names the file or folder and says what to do.

export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}
