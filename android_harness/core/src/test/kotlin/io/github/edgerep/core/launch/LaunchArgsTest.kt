package io.github.edgerep.core.launch

import io.github.edgerep.core.bench.Protocol
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class LaunchArgsTest {

    private fun error(args: String): String =
        assertThrows(LaunchArgumentException::class.java) { LaunchOptions.parse(args) }.message!!

    @Test
    fun `the README's headless command parses`() {
        val options = LaunchOptions.parse("--models=fastvit_t8.tflite,mobileone_s0.tflite --delegate=xnnpack --threads=4 --protocol=modelbench")
        assertEquals(listOf("fastvit_t8.tflite", "mobileone_s0.tflite"), options.models)
        assertEquals(listOf(Delegate.XNNPACK), options.delegates)
        assertEquals(4, options.threads)
        assertEquals(Protocol.MODELBENCH, options.protocol)
        assertEquals(null, options.suite)
    }

    @Test
    fun `defaults match edgerep bench and one delegate`() {
        val options = LaunchOptions.parse("--suite=imagenet")
        assertEquals(Suite.IMAGENET, options.suite)
        assertEquals(Protocol.DEFAULT, options.protocol)
        assertEquals(listOf(Delegate.XNNPACK), options.delegates)
        assertEquals(LaunchOptions.DEFAULT_THREADS, options.threads)
        assertEquals(false, options.keepSamples)
    }

    @Test
    fun `quotes left by the device shell and quoted values with spaces`() {
        assertEquals(
            listOf("--models=a.tflite", "--device=Pixel 8 Pro", "--samples"),
            LaunchArgs.split("\"--models=a.tflite --device='Pixel 8 Pro' --samples\""),
        )
        val options = LaunchOptions.parse("  --models=a.tflite   --device=\"Pixel 8\" --samples ")
        assertEquals("Pixel 8", options.deviceName)
        assertTrue(options.keepSamples)
    }

    @Test
    fun `counts override the protocol as edgerep does`() {
        val options = LaunchOptions.parse("--models=a.tflite --protocol=modelbench --iterations=20 --rounds=3")
        assertEquals(Protocol("custom", rounds = 3, iterations = 20, warmup = 1, trim = 4), options.protocol)
        assertEquals(Protocol("custom", 5, 10, 0, 0), LaunchOptions.parse("--models=a.tflite --warmup=0 --trim=0").protocol)
    }

    @Test
    fun `the GPU's arithmetic is LiteRT's default fp16 unless asked for fp32`() {
        assertEquals(GpuPrecision.FP16, LaunchOptions.parse("--models=a.tflite --delegate=gpu").gpuPrecision)
        assertEquals(GpuPrecision.FP32, LaunchOptions.parse("--models=a.tflite --delegate=gpu --gpu-precision=FP32").gpuPrecision)
        assertTrue(error("--models=a.tflite --gpu-precision=bf16").contains("--gpu-precision must be fp16|fp32, got 'bf16'"))
    }

    @Test
    fun `the LiteRT API is the Interpreter unless asked, both when both are named`() {
        assertEquals(listOf(LiteRtApi.INTERPRETER), LaunchOptions.parse("--models=a.tflite").apis)
        assertEquals(listOf(LiteRtApi.INTERPRETER, LiteRtApi.COMPILED),
            LaunchOptions.parse("--models=a.tflite --api=interpreter,compiled --delegate=xnnpack,gpu,npu").apis)
        assertEquals(listOf(Delegate.XNNPACK, Delegate.GPU, Delegate.NPU),
            LaunchOptions.parse("--models=a.tflite --api=compiled --delegate=xnnpack,gpu,npu").delegates)
        assertTrue(error("--models=a.tflite --api=tflite2").contains("--api must be interpreter|compiled"))
    }

    @Test
    fun `cool-down is seconds within an hour`() {
        assertEquals(0.0, LaunchOptions.parse("--models=a.tflite").cooldownS)
        assertEquals(90.0, LaunchOptions.parse("--models=a.tflite --cooldown=90").cooldownS)
        for (bad in listOf("-1", "NaN", "4000", "soon")) {
            assertTrue(error("--models=a.tflite --cooldown=$bad").contains("--cooldown"), bad)
        }
    }

    @Test
    fun `several delegates run in the order given`() {
        assertEquals(listOf(Delegate.GPU, Delegate.XNNPACK), LaunchOptions.parse("--models=a.tflite --delegate=gpu,XNNPACK").delegates)
    }

    @Test
    fun `every mistake is one line naming the option and what is allowed`() {
        assertTrue(error("--models=a.tflite --threads=0").contains("--threads must be a positive integer, got '0'"))
        assertTrue(error("--models=a.tflite --threads=four").contains("got 'four'"))
        assertTrue(error("--models=a.tflite --delegate=hexagon").contains("xnnpack|gpu|nnapi"))
        assertTrue(error("--models=a.tflite --protocol=fast").contains("default, modelbench, quick"))
        assertTrue(error("--models=a.onnx").contains(".tflite"))
        assertTrue(error("--models=a.tflite,,b.tflite").contains("separated by commas"))
        assertTrue(error("--model=a.tflite").contains("did you mean --models?"))
        assertTrue(error("--models=a.tflite --treads=2").contains("did you mean --threads?"))
        assertTrue(error("--models=a.tflite --threads=2 --threads=3").contains("given twice"))
        assertTrue(error("--models=a.tflite --iterations=4 --trim=2").contains("at most 1"))
        assertTrue(error("--models=a.tflite --out=../x.json").contains("not a path"))
        assertTrue(error("--models=a.tflite --out=report.txt").contains("ends in .json"))
        assertTrue(error("--models=a.tflite --suite=coco").contains("imagenet, face"))
        assertTrue(error("--delegate=gpu").contains("--models=") )
        assertTrue(error("fastvit.tflite").contains("options are --name=value"))
        assertTrue(error("--models=a.tflite --samples=yes").contains("takes no value"))
        assertTrue(error("--models=a.tflite --device='Pixel").contains("unbalanced"))
        for (args in listOf("--threads=0 --models=a.tflite", "--delegate=hexagon --models=a.tflite")) {
            assertTrue('\n' !in error(args), args)
        }
    }
}
