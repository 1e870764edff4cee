import Foundation
import XCTest

@testable import EdgeRepBenchCore

/// Reading an edgerep Core ML export's user-defined metadata (a real fastvit_t8 export's entries).
final class ArtifactMetadataTests: XCTestCase {
    func testReadsEveryFieldARecordNeeds() throws {
        let metadata = try XCTUnwrap(ArtifactMetadata.parse(TestResources.fastViTMetadata()))
        XCTAssertEqual(metadata.model, "fastvit_t8")
        XCTAssertEqual(metadata.family, "fastvit")
        XCTAssertEqual(metadata.task, "classification")
        XCTAssertFalse(metadata.baseline)
        XCTAssertTrue(metadata.fused)
        XCTAssertEqual(metadata.params, 3_992_392)
        XCTAssertEqual(metadata.macs, 685_160_448)
        XCTAssertEqual(metadata.precision, "fp16")
        XCTAssertEqual(
            metadata.input,
            ArtifactMetadata.Input(name: "image", shape: [1, 3, 256, 256], layout: "NCHW", dtype: "float32", kind: .tensor))
        XCTAssertEqual(metadata.preprocessing?.mean, [0.485, 0.456, 0.406])
        XCTAssertEqual(metadata.preprocessing?.std, [0.229, 0.224, 0.225])
        XCTAssertEqual(metadata.output?.shape, [1, 1000])
        XCTAssertEqual(metadata.edgerepVersion, "0.1.0")
    }

    func testImageInputAndBaselineOfAnImageExport() throws {
        let entries = [
            "edgerep.model": "mobileone_s0",
            "edgerep.baseline": "true",
            "edgerep.task": "classification",
            "edgerep.input": #"{"name":"image","shape":[1,3,224,224],"layout":"image","dtype":"float32","kind":"image"}"#,
            "edgerep.preprocessing": #"{"mean":[0.485,0.456,0.406],"std":[0.229,0.224,0.225],"in_graph":"image input"}"#,
            "edgerep.checkpoint": "null",
        ]
        let metadata = try XCTUnwrap(ArtifactMetadata.parse(entries))
        XCTAssertTrue(metadata.baseline)
        XCTAssertEqual(metadata.input?.kind, .image)
        XCTAssertEqual(metadata.preprocessing?.inGraph, "image input")
        XCTAssertNil(metadata.params)
    }

    func testAModelWithoutEdgerepMetadataHasNone() throws {
        XCTAssertNil(try ArtifactMetadata.parse(["com.github.apple.coremltools.version": "9.0"]))
        XCTAssertNil(try ArtifactMetadata.parse([:]))
    }

    func testMalformedEntriesAreNamedWithTheirValue() throws {
        let cases: [(String, String)] = [
            ("edgerep.macs", "685M"),
            ("edgerep.baseline", "yes"),
            ("edgerep.input", "{\"name\": 3}"),
            ("edgerep.params", "-1"),
        ]
        for (key, value) in cases {
            let entries = ["edgerep.model": "fastvit_t8", key: value]
            XCTAssertThrowsError(try ArtifactMetadata.parse(entries), key) { error in
                let benchError = error as? BenchError
                XCTAssertEqual(benchError?.kind, .invalidMetadata, key)
                XCTAssertTrue(benchError?.message.contains(key) ?? false, "the message names \(key)")
                XCTAssertTrue(benchError?.message.contains(value) ?? false, "the message shows '\(value)'")
            }
        }
        XCTAssertThrowsError(try ArtifactMetadata.parse(["edgerep.family": "fastvit"])) { error in
            XCTAssertTrue("\(error)".contains("edgerep.model"))
        }
    }

    func testIdentityFromMetadataOrFromTheFileName() throws {
        let metadata = try ArtifactMetadata.parse(TestResources.fastViTMetadata())
        let identity = ModelIdentity(metadata: metadata, fileName: "renamed.mlpackage")
        XCTAssertEqual(identity.model, "fastvit_t8", "the metadata names the model, not the file")
        XCTAssertEqual(identity.inputShape, [1, 3, 256, 256])
        XCTAssertEqual(identity.batch, 1)
        XCTAssertTrue(identity.fromMetadata)

        let foreign = ModelIdentity(metadata: nil, fileName: "/tmp/models/MyNet.v2.mlpackage")
        XCTAssertEqual(foreign.model, "MyNet.v2")
        XCTAssertEqual(foreign.precision, "unknown")
        XCTAssertNil(foreign.macs)
        XCTAssertFalse(foreign.fromMetadata)

        var other = ArtifactMetadata(model: "custom_net")
        other.task = "segmentation"
        XCTAssertNil(ModelIdentity(metadata: other, fileName: "x.mlpackage").task, "the schema knows two tasks only")
    }
}
