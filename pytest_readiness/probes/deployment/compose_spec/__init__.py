"""The Compose application model as the Compose specification defines it: interpolation
(interpolation.py), merging files (merge.py), the schema (schema.py, with the vendored
compose-spec.json), a project built from its files (project.py) and the projects and
named variants of a tree (variants.py). No pytest."""
