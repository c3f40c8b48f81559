#!/usr/bin/env node
// Committed launcher, so npm links the `courier` bin at install time even before `tsc -b` has
// produced dist/ (npm skips bins whose target file does not exist yet).
import "../dist/main.js";
