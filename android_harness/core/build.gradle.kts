import org.jetbrains.kotlin.gradle.dsl.JvmTarget

// Plain Kotlin/JVM: no Android imports, so it builds and tests on any JVM (and on CI machines
// without the Android SDK, through core/test.sh).
plugins {
    alias(libs.plugins.kotlin.jvm)
}

java {
    sourceCompatibility = JavaVersion.VERSION_17
    targetCompatibility = JavaVersion.VERSION_17
}

kotlin {
    compilerOptions {
        jvmTarget = JvmTarget.JVM_17
    }
}

dependencies {
    // Android provides org.json at run time; the JVM build compiles and tests against the same API.
    compileOnly(libs.org.json)
    testImplementation(libs.org.json)
    testImplementation(platform(libs.junit.bom))
    testImplementation(libs.junit.jupiter)
    testRuntimeOnly(libs.junit.platform.launcher)
}

tasks.test {
    useJUnitPlatform()
    // BenchmarkRunTest writes its report here; CI hands it to `edgerep bench ingest`.
    systemProperty("edgerep.report.out", layout.buildDirectory.file("kotlin-core-report.json").get().asFile.path)
}
