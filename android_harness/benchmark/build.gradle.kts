import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
}

android {
    namespace = "io.github.edgerep.benchmark"
    compileSdk = libs.versions.compile.sdk.get().toInt()

    defaultConfig {
        applicationId = "io.github.edgerep.benchmark"
        minSdk = libs.versions.min.sdk.get().toInt()
        targetSdk = libs.versions.target.sdk.get().toInt()
        versionCode = 1
        versionName = "0.1.0"
        testInstrumentationRunner = "androidx.test.runner.AndroidJUnitRunner"
    }

    // One APK links one LiteRT version: litert1 (1.4.2: Interpreter with XNNPACK, GPU delegate, NNAPI)
    // and litert2 (2.x: CompiledModel with CPU/GPU/NPU, and the Interpreter on the CPU). Each flavor's
    // sources (src/litert1, src/litert2) provide Runtimes.forApi; --api= picks the API at launch.
    flavorDimensions += "litert"
    productFlavors {
        create("litert1") {
            dimension = "litert"
            isDefault = true
            // The LiteRT version linked in, for each record's runtime_version.
            buildConfigField("String", "LITERT_VERSION", "\"${libs.versions.litert.get()}\"")
        }
        create("litert2") {
            dimension = "litert"
            applicationIdSuffix = ".litert2"
            buildConfigField("String", "LITERT_VERSION", "\"${libs.versions.litert2.get()}\"")
        }
    }

    buildFeatures {
        buildConfig = true
    }

    buildTypes {
        release {
            isMinifyEnabled = false
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin {
    compilerOptions {
        jvmTarget = JvmTarget.JVM_17
    }
}

dependencies {
    implementation(project(":core"))
    "litert1Implementation"(libs.litert)
    "litert1Implementation"(libs.litert.gpu)
    "litert1Implementation"(libs.litert.gpu.api)
    "litert2Implementation"(libs.litert2)

    androidTestImplementation(libs.androidx.test.runner)
    androidTestImplementation(libs.androidx.test.rules)
    androidTestImplementation(libs.androidx.test.core)
    androidTestImplementation(libs.androidx.test.ext.junit)
}
