import Foundation
import Testing
import Descent
import DescentNN

/// DataLoader and randomSplit visit samples in exactly PyTorch's order (Scripts/make_data_fixtures.py).
@Suite(.serialized)
struct DataLoaderTests {
    struct Loader: Decodable {
        let n: Int, batch_size: Int, drop_last: Bool, seed: UInt64, generator_seed: UInt64?
        let epochs: [[[Int]]]
        let next_randint: Int64
    }
    struct Split: Decodable { let n: Int, lengths: [Double], seed: UInt64, subsets: [[Int]] }
    struct Plain: Decodable { let n: Int, batch_size: Int, epochs: [[[Int]]], next_randint: Int64 }
    struct Distributed: Decodable { let n: Int, batch_size: Int, replicas: Int, rank: Int, seed: UInt64, drop_last: Bool, epochs: [[[Int]]] }
    struct File: Decodable { let loaders: [Loader], splits: [Split], plain: [Plain], distributed: [Distributed] }
    static let file = try? Fixtures.load("data", as: File.self)

    @Test func shuffledEpochsFollowPyTorch() throws {
        try exclusiveGlobalGenerator { try shuffledEpochs() }
    }

    private func shuffledEpochs() throws {
        let file = try #require(Self.file)
        for c in file.loaders {
            manualSeed(c.seed)
            let dataset = TensorDataset(Tensor.arange(c.n), Tensor.arange(c.n) * 2)
            let loader = DataLoader(dataset, batchSize: c.batch_size, shuffle: true, dropLast: c.drop_last,
                                    generator: c.generator_seed.map { Generator(seed: $0) })
            for expected in c.epochs {
                let batches = loader.map { $0[0].scalars(as: Int64.self).map { Int($0) } }
                #expect(batches == expected, "n \(c.n), batch \(c.batch_size)")
            }
        }
        // Every batch pairs the rows of all tensors.
        for batch in DataLoader(TensorDataset(Tensor.arange(10), Tensor.arange(10) * 2), batchSize: 4, shuffle: true) {
            #expect(batch[1].scalars(as: Int64.self) == batch[0].scalars(as: Int64.self).map { $0 * 2 })
        }
    }

    @Test func globalGeneratorAdvancesAsPyTorchsDoes() throws {
        try exclusiveGlobalGenerator { try generatorAdvances() }
    }

    private func generatorAdvances() throws {
        let file = try #require(Self.file)
        for c in file.loaders {
            manualSeed(c.seed)
            let loader = DataLoader(TensorDataset(Tensor.arange(c.n)), batchSize: c.batch_size, shuffle: true,
                                    dropLast: c.drop_last, generator: c.generator_seed.map { Generator(seed: $0) })
            for _ in 0..<3 { for _ in loader {} }
            #expect(Tensor.randint(0, 1 << 30, [1]).item(as: Int64.self) == c.next_randint)
        }
    }

    @Test func unshuffledBatchesAreInOrder() {
        exclusiveGlobalGenerator {
            let loader = DataLoader(TensorDataset(Tensor.arange(7)), batchSize: 3)
            #expect(loader.map { $0[0].scalars(as: Int64.self) } == [[0, 1, 2], [3, 4, 5], [6]])
            #expect(loader.count == 3)
            let dropping = DataLoader(TensorDataset(Tensor.arange(7)), batchSize: 3, dropLast: true)
            #expect(dropping.count == 2 && Array(dropping).count == 2)
        }
    }

    @Test func randomSplitFollowsPyTorch() throws {
        let file = try #require(Self.file)
        for s in file.splits {
            let dataset = TensorDataset(Tensor.arange(s.n))
            let parts = s.lengths.allSatisfy({ $0 == $0.rounded() }) && s.lengths.reduce(0, +) == Double(s.n)
                ? randomSplit(dataset, lengths: s.lengths.map { Int($0) }, generator: Generator(seed: s.seed))
                : randomSplit(dataset, fractions: s.lengths, generator: Generator(seed: s.seed))
            #expect(parts.map(\.indices) == s.subsets)
        }
    }

    @Test func collateBuildsBatchesFromSamples() {
        exclusiveGlobalGenerator {
            struct Squares: Dataset {
                var count: Int { 5 }
                subscript(index: Int) -> Int { index * index }
            }
            let loader = DataLoader(Squares(), batchSize: 2) { $0.reduce(0, +) }
            #expect(Array(loader) == [1, 13, 16])
        }
    }

    @Test func workersChangeNeitherBatchesNorOrder() {
        exclusiveGlobalGenerator {
            let data = TensorDataset(Tensor.arange(103), Tensor.randn(103, 3, generator: Generator(seed: 1)))
            for dropLast in [false, true] {
                let plain = DataLoader(data, batchSize: 8, shuffle: true, dropLast: dropLast, generator: Generator(seed: 9))
                let threaded = DataLoader(data, batchSize: 8, shuffle: true, dropLast: dropLast, generator: Generator(seed: 9), numWorkers: 3)
                for _ in 0..<3 {
                    let a = plain.map { $0.map { $0.scalars(as: Double.self) } }
                    let b = threaded.map { $0.map { $0.scalars(as: Double.self) } }
                    #expect(a == b)
                }
            }
            // Leaving an epoch early stops the workers (the iterator's end cancels them).
            for batch in DataLoader(data, batchSize: 4, numWorkers: 2) {
                #expect(batch[0].scalars(as: Int64.self) == [0, 1, 2, 3])
                break
            }
            let collated = DataLoader(data, batchSize: 10, numWorkers: 2) { samples in samples.count }
            #expect(Array(collated) == [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3])
        }
    }

    @Test func unshuffledEpochsStillDrawABaseSeed() throws {
        let file = try #require(Self.file)
        try exclusiveGlobalGenerator {
            for c in file.plain {
                manualSeed(4)
                let loader = DataLoader(TensorDataset(Tensor.arange(c.n)), batchSize: c.batch_size)
                for expected in c.epochs { #expect(loader.map { $0[0].scalars(as: Int64.self).map { Int($0) } } == expected) }
                #expect(Tensor.randint(0, 1 << 30, [1]).item(as: Int64.self) == c.next_randint)
            }
            _ = try #require(file.plain.first)
        }
    }

    @Test func distributedSamplerPlugsIn() throws {
        let file = try #require(Self.file)
        try exclusiveGlobalGenerator {
            for c in file.distributed {
                manualSeed(0)
                let sampler = DistributedSampler(count: c.n, rank: c.rank, worldSize: c.replicas, seed: c.seed, dropLast: c.drop_last)
                var loader = DataLoader(TensorDataset(Tensor.arange(c.n)), batchSize: c.batch_size, sampler: sampler)
                for (e, expected) in c.epochs.enumerated() {
                    loader.setEpoch(e)
                    #expect(loader.map { $0[0].scalars(as: Int64.self).map { Int($0) } } == expected, "epoch \(e)")
                }
            }
            _ = try #require(file.distributed.first)
        }
    }
}
