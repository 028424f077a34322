// The function VS Code injects into webviews (typed for our message unions).
import type { WebviewToExtension } from '../../protocol/webview';

declare global {
  function acquireVsCodeApi(): {
    postMessage(message: WebviewToExtension): void;
    getState(): unknown;
    setState(state: unknown): void;
  };
}
