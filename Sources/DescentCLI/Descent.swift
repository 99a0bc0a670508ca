import ArgumentParser
import Descent
import DescentNN
import DescentData

@main
struct DescentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "descent",
        abstract: "Tensors, autograd and models from CSV files in Swift, with PyTorch's numbers.",
        discussion: """
            Examples:
              descent                                   fit the seed notebook's crop table
              descent fit data.csv --target y --standardize --optimizer adam --lr 0.01
              descent fit iris.csv --target species --task classification --report iris.html
              descent fit data.csv --target y --model mlp --hidden 64,32 --standardize --optimizer adam
              descent predict model.safetensors new.csv --output predictions.csv
              descent inspect model.safetensors
              descent notebook                          replay the seed notebook cell by cell
              descent lm train Data/shakespeare/input.txt   train a character-level GPT
              descent lm sample lm.safetensors --prompt "MENENIUS:"
            """,
        subcommands: [FitCommand.self, PredictCommand.self, InspectCommand.self, NotebookCommand.self, LMCommand.self],
        defaultSubcommand: FitCommand.self
    )
}
