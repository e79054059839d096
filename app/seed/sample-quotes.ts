/**
 * A small offline sample so `qctl dev` has something to search without network access.
 * Every line is from a work long in the public domain (authors who died by 1910),
 * chosen for this project; the full set comes from DummyJSON (`qctl seed`).
 */
export interface SampleQuote {
  quote: string;
  author: string;
}

export const SAMPLE_QUOTES: readonly SampleQuote[] = [
  { quote: 'Our life is frittered away by detail. Simplify, simplify.', author: 'Henry David Thoreau' },
  { quote: 'The mass of men lead lives of quiet desperation.', author: 'Henry David Thoreau' },
  {
    quote:
      'I went to the woods because I wished to live deliberately, to front only the essential facts of life, and see if I could not learn what it had to teach.',
    author: 'Henry David Thoreau',
  },
  { quote: 'A foolish consistency is the hobgoblin of little minds.', author: 'Ralph Waldo Emerson' },
  { quote: 'Trust thyself: every heart vibrates to that iron string.', author: 'Ralph Waldo Emerson' },
  { quote: 'Nothing great was ever achieved without enthusiasm.', author: 'Ralph Waldo Emerson' },
  { quote: 'Well done is better than well said.', author: 'Benjamin Franklin' },
  { quote: 'Lost time is never found again.', author: 'Benjamin Franklin' },
  { quote: 'Early to bed and early to rise, makes a man healthy, wealthy, and wise.', author: 'Benjamin Franklin' },
  { quote: "All the world's a stage, and all the men and women merely players.", author: 'William Shakespeare' },
  { quote: 'This above all: to thine own self be true.', author: 'William Shakespeare' },
  { quote: 'The fault, dear Brutus, is not in our stars, but in ourselves.', author: 'William Shakespeare' },
  { quote: 'We know what we are, but know not what we may be.', author: 'William Shakespeare' },
  { quote: 'Always do right. This will gratify some people and astonish the rest.', author: 'Mark Twain' },
  {
    quote: "Truth is stranger than fiction, but it is because Fiction is obliged to stick to possibilities; Truth isn't.",
    author: 'Mark Twain',
  },
  { quote: 'There is no charm equal to tenderness of heart.', author: 'Jane Austen' },
  { quote: 'I declare after all there is no enjoyment like reading!', author: 'Jane Austen' },
  { quote: 'I am large, I contain multitudes.', author: 'Walt Whitman' },
  { quote: 'Hope is the thing with feathers that perches in the soul.', author: 'Emily Dickinson' },
  { quote: 'The Brain is wider than the Sky.', author: 'Emily Dickinson' },
  { quote: 'A thing of beauty is a joy for ever.', author: 'John Keats' },
  { quote: 'Beauty is truth, truth beauty, that is all ye know on earth, and all ye need to know.', author: 'John Keats' },
  { quote: 'To err is human; to forgive, divine.', author: 'Alexander Pope' },
  { quote: 'A little learning is a dangerous thing.', author: 'Alexander Pope' },
  { quote: 'Hope springs eternal in the human breast.', author: 'Alexander Pope' },
  {
    quote: 'Knowledge is of two kinds. We know a subject ourselves, or we know where we can find information upon it.',
    author: 'Samuel Johnson',
  },
  { quote: 'When a man is tired of London, he is tired of life.', author: 'Samuel Johnson' },
  { quote: 'It was the best of times, it was the worst of times.', author: 'Charles Dickens' },
  { quote: 'No one is useless in this world who lightens the burden of it for any one else.', author: 'Charles Dickens' },
  { quote: 'We are all in the gutter, but some of us are looking at the stars.', author: 'Oscar Wilde' },
  { quote: 'Experience is the name every one gives to their mistakes.', author: 'Oscar Wilde' },
  { quote: "Why, sometimes I've believed as many as six impossible things before breakfast.", author: 'Lewis Carroll' },
  { quote: 'With malice toward none, with charity for all.', author: 'Abraham Lincoln' },
  { quote: 'A house divided against itself cannot stand.', author: 'Abraham Lincoln' },
  { quote: 'To travel hopefully is a better thing than to arrive.', author: 'Robert Louis Stevenson' },
  { quote: 'All that we see or seem is but a dream within a dream.', author: 'Edgar Allan Poe' },
  { quote: "'Tis better to have loved and lost than never to have loved at all.", author: 'Alfred Tennyson' },
  { quote: 'To strive, to seek, to find, and not to yield.', author: 'Alfred Tennyson' },
  { quote: 'To see a World in a Grain of Sand, and a Heaven in a Wild Flower.', author: 'William Blake' },
  { quote: 'The Child is father of the Man.', author: 'William Wordsworth' },
  { quote: 'What do we live for, if it is not to make life less difficult to each other?', author: 'George Eliot' },
  {
    quote: 'I am no bird; and no net ensnares me: I am a free human being with an independent will.',
    author: 'Charlotte Brontë',
  },
  { quote: 'It is better to fail in originality than to succeed in imitation.', author: 'Herman Melville' },
  { quote: "I'm not afraid of storms, for I'm learning how to sail my ship.", author: 'Louisa May Alcott' },
  { quote: 'If there is no struggle, there is no progress.', author: 'Frederick Douglass' },
];
