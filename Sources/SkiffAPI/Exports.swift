// `JSON` lives in the dependency-free SkiffJSON target so the runtime can share it; every
// SkiffAPI user keeps seeing it through this module.
@_exported import SkiffJSON
