/** vitest setupFiles: tests import core modules directly, so install the Node host as the package root does. */
import "../../src/node/host.js";
