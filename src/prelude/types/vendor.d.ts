// Types for the spec-following libraries the prelude bundles that ship none.

