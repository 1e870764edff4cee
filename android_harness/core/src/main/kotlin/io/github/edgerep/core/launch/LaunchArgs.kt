package io.github.edgerep.core.launch

import io.github.edgerep.core.bench.Protocol

/** A launch argument that cannot be used; the message is one line naming the option and the fix. */
class LaunchArgumentException(message: String) : IllegalArgumentException(message)

/**
 * Parses `--name=value` options (and the flag `--samples`) into [LaunchOptions]. Every problem is a
 * [LaunchArgumentException] with one line: the option, the value given, what is allowed.
 */
object LaunchArgs {
    private val VALUED = listOf(
        "models", "suite", "delegate", "threads", "protocol", "rounds", "iterations", "warmup", "trim",
        "out", "device", "gpu-precision", "cooldown", "api",
    )
    private val FLAGS = listOf("samples")
    private const val MAX_THREADS = 64
    private const val MAX_COOLDOWN_S = 3600.0

    /**
     * Splits one argument string on whitespace; double or single quotes keep spaces inside a value
     * (`--device="Pixel 8"`). The quotes `am start --es args '"..."'` leaves around the whole string
     * are removed the same way.
     */
    fun split(args: String): List<String> {
        val text = unwrapped(args.trim())
        val tokens = ArrayList<String>()
        val current = StringBuilder()
        var quote: Char? = null
        var inToken = false
        for (c in text) {
            when {
                quote != null && c == quote -> quote = null
                quote != null -> current.append(c)
                c == '"' || c == '\'' -> { quote = c; inToken = true }
                c.isWhitespace() -> {
                    if (inToken) tokens.add(current.toString())
                    current.setLength(0)
                    inToken = false
                }
                else -> { current.append(c); inToken = true }
            }
        }
        if (quote != null) throw LaunchArgumentException("unbalanced $quote quote in the arguments: $args")
        if (inToken) tokens.add(current.toString())
        return tokens
    }

    /** `"--a=1 --b=2"` -> `--a=1 --b=2`: one pair of quotes around the whole string. */
    private fun unwrapped(text: String): String {
        if (text.length < 2 || text[0] != text[text.length - 1] || (text[0] != '"' && text[0] != '\'')) return text
        val inner = text.substring(1, text.length - 1)
        return if (text[0] in inner) text else inner
    }

    fun parse(tokens: List<String>): LaunchOptions {
        val values = LinkedHashMap<String, String>()
        val flags = HashSet<String>()
        for (token in tokens) {
            if (!token.startsWith("--")) {
                throw LaunchArgumentException("unexpected '$token': options are --name=value (${LaunchOptions.USAGE})")
            }
            val name = token.substring(2).substringBefore('=')
            val value = if ('=' in token) token.substringAfter('=') else null
            when {
                name in FLAGS && value == null -> flags.add(name)
                name in FLAGS -> throw LaunchArgumentException("--$name takes no value, got '$token'")
                name in VALUED && value == null ->
                    throw LaunchArgumentException("--$name needs a value: --$name=...")
                name in VALUED -> {
                    if (name in values) throw LaunchArgumentException("--$name is given twice")
                    values[name] = value!!
                }
                else -> throw LaunchArgumentException("unknown option --$name${suggestion(name)} (${LaunchOptions.USAGE})")
            }
        }
        val models = values["models"]?.let { models(it) } ?: emptyList()
        val suite = values["suite"]?.let { value ->
            Suite.fromOption(value) ?: throw LaunchArgumentException(
                "--suite must be one of ${Suite.entries.joinToString(", ") { it.option }}, got '$value'",
            )
        }
        if (models.isEmpty() && suite == null) {
            throw LaunchArgumentException(
                "name the models to measure (--models=fastvit_t8.tflite,...) or a suite (--suite=imagenet|face)",
            )
        }
        return LaunchOptions(
            models = models,
            suite = suite,
            delegates = values["delegate"]?.let { delegates(it) } ?: listOf(Delegate.XNNPACK),
            threads = values["threads"]?.let { count("threads", it, minimum = 1) }
                ?.also {
                    if (it > MAX_THREADS) throw LaunchArgumentException("--threads must be at most $MAX_THREADS, got $it")
                }
                ?: LaunchOptions.DEFAULT_THREADS,
            protocol = protocol(values),
            output = values["out"]?.let { output(it) },
            keepSamples = "samples" in flags,
            deviceName = values["device"]?.also {
                if (it.isBlank()) throw LaunchArgumentException("--device needs a label, e.g. --device=\"Pixel 8\"")
            },
            gpuPrecision = values["gpu-precision"]?.let { value ->
                GpuPrecision.fromOption(value) ?: throw LaunchArgumentException(
                    "--gpu-precision must be ${GpuPrecision.entries.joinToString("|") { it.option }}, got '$value'",
                )
            } ?: GpuPrecision.FP16,
            cooldownS = values["cooldown"]?.let { cooldown(it) } ?: 0.0,
            apis = values["api"]?.let { apis(it) } ?: listOf(LiteRtApi.INTERPRETER),
        )
    }

    private fun models(value: String): List<String> {
        val names = value.split(',').map { it.trim() }
        if (names.any { it.isEmpty() }) {
            throw LaunchArgumentException("--models must be .tflite files separated by commas, got '$value'")
        }
        names.firstOrNull { !it.endsWith(".tflite") }?.let {
            throw LaunchArgumentException(
                "--models takes .tflite files (edgerep export MODEL --target tflite), got '$it'",
            )
        }
        return names.distinct()
    }

    private fun delegates(value: String): List<Delegate> = value.split(',').map { it.trim() }.map { name ->
        Delegate.fromOption(name) ?: throw LaunchArgumentException(
            "--delegate must be ${Delegate.entries.joinToString("|") { it.option }} (comma-separated for " +
                "several), got '$name'",
        )
    }.distinct()

    private fun protocol(values: Map<String, String>): Protocol {
        val base = values["protocol"]?.let { name ->
            Protocol.BY_NAME[name.lowercase()] ?: throw LaunchArgumentException(
                "--protocol must be one of ${Protocol.BY_NAME.keys.joinToString(", ")}, got '$name'",
            )
        } ?: Protocol.DEFAULT
        val rounds = values["rounds"]?.let { count("rounds", it, minimum = 1) }
        val iterations = values["iterations"]?.let { count("iterations", it, minimum = 1) }
        val warmup = values["warmup"]?.let { count("warmup", it, minimum = 0) }
        val trim = values["trim"]?.let { count("trim", it, minimum = 0) }
        return try {
            base.withCounts(rounds = rounds, iterations = iterations, warmup = warmup, trim = trim)
        } catch (e: IllegalArgumentException) {
            throw LaunchArgumentException("--trim/--iterations: ${e.message}")
        }
    }

    private fun apis(value: String): List<LiteRtApi> = value.split(',').map { it.trim() }.map { name ->
        LiteRtApi.fromOption(name) ?: throw LaunchArgumentException(
            "--api must be ${LiteRtApi.entries.joinToString("|") { it.option }} (comma-separated for both), got '$name'",
        )
    }.distinct()

    private fun cooldown(value: String): Double {
        val seconds = value.toDoubleOrNull()
        if (seconds == null || !seconds.isFinite() || seconds < 0 || seconds > MAX_COOLDOWN_S) {
            throw LaunchArgumentException(
                "--cooldown is the longest wait for the phone to cool before a record, 0 to $MAX_COOLDOWN_S seconds, got '$value'",
            )
        }
        return seconds
    }

    private fun count(name: String, value: String, minimum: Int): Int {
        val number = value.toIntOrNull()
        if (number == null || number < minimum) {
            val what = if (minimum == 0) "a non-negative integer" else "a positive integer"
            throw LaunchArgumentException("--$name must be $what, got '$value'")
        }
        return number
    }

    private fun output(value: String): String {
        if (!value.endsWith(".json") || value.length <= ".json".length) {
            throw LaunchArgumentException("--out names the report file and ends in .json, got '$value'")
        }
        if ('/' in value || '\\' in value || value.startsWith(".")) {
            throw LaunchArgumentException(
                "--out is a file name in the app's reports folder, not a path, got '$value'; e.g. --out=pixel8.json",
            )
        }
        return value
    }

    private fun suggestion(name: String): String {
        val closest = (VALUED + FLAGS).minByOrNull { editDistance(it, name) } ?: return ""
        return if (editDistance(closest, name) <= maxOf(2, name.length / 3)) " (did you mean --$closest?)" else ""
    }

    private fun editDistance(a: String, b: String): Int {
        var previous = IntArray(b.length + 1) { it }
        for (i in 1..a.length) {
            val current = IntArray(b.length + 1)
            current[0] = i
            for (j in 1..b.length) {
                val cost = if (a[i - 1] == b[j - 1]) 0 else 1
                current[j] = minOf(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            previous = current
        }
        return previous[b.length]
    }
}
