"""The export pipeline's steps, shared by every target (see :mod:`.run` for the order).

:mod:`.run` plans and runs an export; :mod:`.options` validates what is asked; :mod:`.prepare` builds
and fuses; :mod:`.calibration` and :mod:`.samples` supply images; :mod:`.int8_torch` and :mod:`.int8`
plan int8 in torch and describe its result; :mod:`.torch_fold` folds constants in a torch program;
:mod:`.verify` compares an artifact with torch; :mod:`.metadata` writes what an artifact records;
:mod:`.artifact` reads it back; :mod:`.console` and :mod:`.command` are the command line;
:mod:`.targets` is the interface each target package implements, with the registry;
:mod:`.cache` keeps exported artifacts for the bench, eval and face commands.
"""
