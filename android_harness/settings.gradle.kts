pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "edgerep-android"

// core: plain Kotlin/JVM (protocol, statistics, report, options, TFLite metadata), tested on any JVM.
// benchmark: the LiteRT latency app. The face-recognition demo joins as ":facedemo".
include(":core", ":benchmark")
