package io.github.edgerep.core.launch

import io.github.edgerep.core.artifact.Artifact

/**
 * Which artifacts a run measures, in order: the models asked for, then, in suite mode, the suite's
 * baselines, as `edgerep bench --suite` lines them up (models under test family by family, cheapest
 * first, then the baselines). [available] is every artifact in the models folder.
 */
object SuitePlan {

    fun resolve(options: LaunchOptions, requested: List<Artifact>, available: List<Artifact>): List<Artifact> {
        val suite = options.suite ?: return requested
        requested.firstOrNull { it.metadata?.task != null && it.metadata.task != suite.task }?.let {
            throw LaunchArgumentException(
                "${it.file.name} is a ${it.metadata?.task} model; suite ${suite.option} compares ${suite.task} models",
            )
        }
        val ofTask = available.filter { it.metadata?.task == suite.task }
        val underTest = requested.ifEmpty { ofTask.filter { it.metadata?.baseline == false } }
        val baselines = ofTask.filter { it.metadata?.baseline == true && it.file !in underTest.map { u -> u.file } }
        if (baselines.isEmpty() && underTest.none { it.metadata?.baseline == true }) {
            throw LaunchArgumentException(
                "suite ${suite.option} runs the ${suite.task} baselines beside the models under test, but the " +
                    "models folder holds none: export one (edgerep export ${suite.baselineExample} --target tflite) " +
                    "and push it",
            )
        }
        val order = compareBy<Artifact>({ it.metadata?.family ?: "" }, { it.metadata?.macs ?: Long.MAX_VALUE }, { it.model })
        val tested = if (requested.isEmpty()) underTest.sortedWith(order) else underTest
        return tested + baselines.sortedWith(order)
    }
}
