import ArgumentParser
import Descent
import DescentNN
import DescentData

@main
struct DescentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "descent",
        abstract: "Tensors, autograd and linear models in Swift, with PyTorch's numbers.",
        discussion: """
            Examples:
              descent                                   fit the seed notebook's crop table
              descent fit data.csv --target y --standardize --optimizer adam --lr 0.01
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
