#!/usr/bin/env node
// Compiles src/engine/assembly (AssemblyScript) to build/*.wasm. Filled in by the engine issue.
