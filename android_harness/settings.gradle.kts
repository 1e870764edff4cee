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

// core: plain Kotlin/JVM (protocol, statistics, report, options, TFLite metadata, the face pipeline's
// logic), tested on any JVM. benchmark: the LiteRT latency app. facedemo: camera to name with FaceLiVT.
include(":core", ":benchmark", ":facedemo")
