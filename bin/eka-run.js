#!/usr/bin/env node
// `eka-run SCRIPT [ARGS]`: a shebang interpreter (#!/usr/bin/env eka-run). Same entry as bin/eka.js.
require("./eka.js");
