import Descent
import DescentNN
import DescentMPI
let g = try MPIProcessGroup()
let t = Tensor([Float(g.rank + 1), 10])
g.allReduce(t, op: .mean)
let b = Tensor([Double(g.rank) * 7])
g.broadcast(b, from: 1 % g.worldSize)
print("rank \(g.rank)/\(g.worldSize): \(t.scalars(as: Double.self)) \(b.scalars(as: Double.self))")
