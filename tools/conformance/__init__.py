"""The golden vectors the Kotlin (android_harness/core) and Swift (ios_harness) cores are tested
against: :mod:`.vectors` writes and checks them (``python -m tools.conformance``), one module per
area generates the cases (:mod:`.bench`, :mod:`.tflite_metadata`, :mod:`.face`)."""
